"""Public holidays (configuration, ``chalicelib/config/holidays.json``): the days both offices are closed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from chalicelib.domain.catalogue import Text

HOLIDAYS_FILE = Path(__file__).resolve().parents[1] / "config" / "holidays.json"
SCOPES = ("ES", "CT", "LOCAL")  # Spain, Catalonia, the municipality


@dataclass(frozen=True)
class Holiday:
    day: date
    scope: str
    name: Text


@dataclass(frozen=True)
class HolidayCalendar:
    holidays: tuple[Holiday, ...]

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> HolidayCalendar:
        holidays = []
        for entry in raw["holidays"]:
            if entry["scope"] not in SCOPES:
                raise ValueError(f"holiday {entry['date']}: unknown scope {entry['scope']!r}")
            holidays.append(
                Holiday(date.fromisoformat(entry["date"]), entry["scope"], Text.parse(entry["name"], "name"))
            )
        days = [h.day for h in holidays]
        if len(days) != len(set(days)):
            raise ValueError("a holiday date is listed twice")
        return cls(tuple(sorted(holidays, key=lambda h: h.day)))

    @classmethod
    def load(cls, path: Path = HOLIDAYS_FILE) -> HolidayCalendar:
        return cls.parse(json.loads(path.read_text(encoding="utf-8")))

    def is_holiday(self, day: date) -> bool:
        return day in self._days

    @property
    def _days(self) -> frozenset[date]:
        return frozenset(h.day for h in self.holidays)

    def years(self) -> set[int]:
        return {h.day.year for h in self.holidays}
