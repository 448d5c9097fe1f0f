"""Public holidays: the official lists (configuration, ``chalicelib/config/holidays.json``) are each year's starting
point; an administrator saves a year's list (``PUT /admin/holidays/{year}``) and from then on that list is the year's.
A holiday with an ``office`` closes only that office (a local feast of one district); the others close every office.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from chalicelib.domain.catalogue import OFFICE_ID, Text
from chalicelib.domain.errors import FieldError, ValidationFailed

HOLIDAYS_FILE = Path(__file__).resolve().parents[1] / "config" / "holidays.json"
SCOPES = ("ES", "CT", "LOCAL")  # Spain, Catalonia, the municipality (the configuration's words)
# The API's words for the same scopes.
API_SCOPES = {"ES": "national", "CT": "regional", "LOCAL": "local"}
FROM_API = {v: k for k, v in API_SCOPES.items()}
MAX_HOLIDAYS_A_YEAR = 60
MAX_NAME = 120  # characters of a holiday's name in each language


@dataclass(frozen=True)
class Holiday:
    day: date
    scope: str
    name: Text
    office: str | None = None  # None: every office

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "date": self.day.isoformat(),
            "name": self.name.as_dict(),
            "scope": API_SCOPES[self.scope],
        }
        if self.office:
            body["office"] = self.office
        return body

    def closes(self, office: str | None) -> bool:
        return self.office is None or office is None or self.office == office


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
                Holiday(
                    date.fromisoformat(entry["date"]),
                    entry["scope"],
                    Text.parse(entry["name"], "name"),
                    entry.get("office") or None,
                )
            )
        keys = [(h.day, h.office) for h in holidays]
        if len(keys) != len(set(keys)):
            raise ValueError("a holiday date is listed twice")
        return cls(tuple(sorted(holidays, key=lambda h: (h.day, h.office or ""))))

    @classmethod
    def load(cls, path: Path = HOLIDAYS_FILE) -> HolidayCalendar:
        return cls.parse(json.loads(path.read_text(encoding="utf-8")))

    def is_holiday(self, day: date, office: str | None = None) -> bool:
        """Whether ``day`` closes ``office`` (None: whether it closes any office)."""
        return any(h.closes(office) for h in self.holidays if h.day == day)

    def of_year(self, year: int) -> tuple[Holiday, ...]:
        return tuple(h for h in self.holidays if h.day.year == year)

    def years(self) -> set[int]:
        return {h.day.year for h in self.holidays}

    def with_year(self, year: int, holidays: tuple[Holiday, ...]) -> HolidayCalendar:
        """This calendar with ``year``'s list replaced by ``holidays``."""
        kept = tuple(h for h in self.holidays if h.day.year != year)
        return HolidayCalendar(tuple(sorted((*kept, *holidays), key=lambda h: (h.day, h.office or ""))))


def parse_year(raw: Any, year: int, offices: list[str]) -> tuple[Holiday, ...]:
    """An administrator's list for ``year`` (``items`` of the API), or 422 naming each bad field
    (``items.<i>.<field>``)."""
    if not isinstance(raw, list) or len(raw) > MAX_HOLIDAYS_A_YEAR:
        raise ValidationFailed([FieldError("items", "too_many", high=MAX_HOLIDAYS_A_YEAR)])
    errors: list[FieldError] = []
    found: list[Holiday] = []
    for i, entry in enumerate(raw):
        where = f"items.{i}"
        if not isinstance(entry, dict):
            errors.append(FieldError(where, "json_object"))
            continue
        day = None
        raw_day = entry.get("date")
        try:
            day = date.fromisoformat(raw_day) if isinstance(raw_day, str) and len(raw_day) == 10 else None
        except ValueError:
            day = None
        if day is None:
            errors.append(FieldError(f"{where}.date", "date_format"))
        elif day.year != year:
            errors.append(FieldError(f"{where}.date", "holiday_year", year=year))
        scope = entry.get("scope")
        if scope not in FROM_API:
            errors.append(FieldError(f"{where}.scope", "one_of", choices=", ".join(FROM_API)))
        office = entry.get("office")
        if office is not None and (
            not isinstance(office, str) or not OFFICE_ID.fullmatch(office) or office not in offices
        ):
            errors.append(FieldError(f"{where}.office", "one_of", choices=", ".join(offices)))
        try:
            name = Text.parse(entry.get("name"), f"{where}.name")
        except ValidationFailed as exc:
            errors.extend(exc.errors)
            continue
        long = [lang for lang, text in name.as_dict().items() if len(text) > MAX_NAME]
        errors.extend(FieldError(f"{where}.name.{lang}", "too_long", high=MAX_NAME) for lang in long)
        if day is not None and scope in FROM_API and not any(e.field.startswith(where) for e in errors):
            found.append(Holiday(day, FROM_API[str(scope)], name, office or None))
    keys = [(h.day, h.office) for h in found]
    if len(keys) != len(set(keys)):
        errors.append(FieldError("items", "holiday_twice"))
    if errors:
        raise ValidationFailed(errors)
    return tuple(sorted(found, key=lambda h: (h.day, h.office or "")))
