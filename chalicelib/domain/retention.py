"""Retention of recordings and documents: how long each is kept, from ``config/retention.json``.

Pure rules (no AWS): the records service asks here until when a document or a call recording must be kept.

- A document is kept for its procedure's document period from its issue; a supporting document (attachment) of an
  appointment whose service has no procedure, for ``attachment_default``.
- A call recording is evidence in the case files of the procedures carried out in the call, so it is kept for the
  longest recording period among them; a call with no procedure is kept for ``recording_default`` (quality review
  only), the figure citizens are told in the recording notice.
- Periods are calendar periods (years, months, days), so "4 years" is four years to the day, not 1460 days.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

CONFIG = Path(__file__).resolve().parents[1] / "config" / "retention.json"
# Periods of calendar units are compared by where they end from one fixed start.
_REFERENCE = datetime(2000, 1, 1)
_UNITS = ("years", "months", "days")


class RetentionConfigError(ValueError):
    """The retention configuration is unusable; the message names every problem."""


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    days: int = 0

    def after(self, start: datetime) -> datetime:
        """``start`` plus this period; a day that the target month lacks becomes its last day (31 Jan + 1 month)."""
        month_index = start.month - 1 + self.months + 12 * self.years
        year, month = start.year + month_index // 12, month_index % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        return start.replace(year=year, month=month, day=day) + timedelta(days=self.days)

    def __str__(self) -> str:
        parts = [f"{value} {unit}" for unit, value in zip(_UNITS, (self.years, self.months, self.days), strict=True)]
        return ", ".join(p for p in parts if not p.startswith("0 ")) or "0 days"

    def to_json(self) -> dict[str, int]:
        return {"years": self.years, "months": self.months, "days": self.days}


@dataclass(frozen=True)
class ServiceRetention:
    """What a citizen booking a service is told: how long its call's recording and its documents are kept."""

    recording: Period  # when the service's procedure is carried out in the call (the recording is evidence in it)
    documents: Period  # the documents issued, or the supporting documents of a service without a procedure


@dataclass(frozen=True)
class ProcedureRetention:
    documents: Period
    recording: Period


@dataclass(frozen=True)
class RetentionRules:
    procedures: Mapping[str, ProcedureRetention]
    recording_default: Period
    attachment_default: Period

    def recording_until(self, recorded_at: datetime, procedure_types: Iterable[str]) -> datetime:
        """Until when a call recording is kept: the longest among its procedures' periods and the default."""
        periods = [self.recording_default, *(self._of(t).recording for t in procedure_types)]
        return max(p.after(recorded_at) for p in periods)

    def document_until(self, issued_at: datetime, procedure_type: str | None) -> datetime:
        if procedure_type is None:
            return self.attachment_default.after(issued_at)
        return self._of(procedure_type).documents.after(issued_at)

    def of_service(self, procedure_type: str | None) -> ServiceRetention:
        """The periods that apply to a service whose agent runs ``procedure_type`` (None: no procedure)."""
        if procedure_type is None:
            return ServiceRetention(self.recording_default, self.attachment_default)
        procedure = self._of(procedure_type)
        # The same rule as recording_until: never shorter than a call without a procedure.
        longest = max((self.recording_default, procedure.recording), key=lambda p: p.after(_REFERENCE))
        return ServiceRetention(longest, procedure.documents)

    def _of(self, procedure_type: str) -> ProcedureRetention:
        found = self.procedures.get(procedure_type)
        if found is None:
            # Configuration is checked against the procedure registry on load, so this is a programming error.
            raise KeyError(f"no retention configured for procedure type {procedure_type!r}")
        return found

    @classmethod
    def from_config(cls, raw: Any, procedure_types: Iterable[str]) -> RetentionRules:
        """Rules from the parsed JSON; every procedure type must be configured, and nothing else."""
        problems: list[str] = []
        if not isinstance(raw, dict):
            raise RetentionConfigError("retention configuration: must be a JSON object")
        _unknown_keys(raw, {"recording_default", "attachment_default", "procedures"}, "", problems)
        recording_default = _period(raw.get("recording_default"), "recording_default", problems)
        attachment_default = _period(raw.get("attachment_default"), "attachment_default", problems)
        given = raw.get("procedures")
        procedures: dict[str, ProcedureRetention] = {}
        if not isinstance(given, dict):
            problems.append("procedures: must be an object keyed by procedure type")
            given = {}
        wanted = set(procedure_types)
        for kind in sorted(wanted - set(given)):
            problems.append(f"procedures.{kind}: missing (every procedure type needs a retention)")
        for kind, entry in sorted(given.items()):
            if kind.startswith("_"):
                continue
            if kind not in wanted:
                problems.append(f"procedures.{kind}: not a procedure type")
                continue
            if not isinstance(entry, dict):
                problems.append(f"procedures.{kind}: must be an object with documents and recording")
                continue
            _unknown_keys(entry, {"documents", "recording"}, f"procedures.{kind}.", problems)
            procedures[kind] = ProcedureRetention(
                documents=_period(entry.get("documents"), f"procedures.{kind}.documents", problems),
                recording=_period(entry.get("recording"), f"procedures.{kind}.recording", problems),
            )
        if problems:
            raise RetentionConfigError("retention configuration: " + "; ".join(problems))
        return cls(procedures, recording_default, attachment_default)

    @classmethod
    def load(cls, path: Path = CONFIG) -> RetentionRules:
        from chalicelib.domain.procedures import REGISTRY

        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RetentionConfigError(f"retention configuration {path.name}: cannot be read ({exc})") from exc
        return cls.from_config(raw, REGISTRY)


def _unknown_keys(entry: Mapping[str, Any], allowed: set[str], where: str, problems: list[str]) -> None:
    # Keys starting with "_" are comments (JSON has none).
    for key in sorted(k for k in entry if not k.startswith("_") and k not in allowed):
        problems.append(f"{where}{key}: unknown setting")


def _period(raw: Any, where: str, problems: list[str]) -> Period:
    if not isinstance(raw, dict):
        problems.append(f'{where}: must be an object like {{"years": 4}}')
        return Period()
    _unknown_keys(raw, set(_UNITS), f"{where}.", problems)
    values: dict[str, int] = {}
    for unit in _UNITS:
        value = raw.get(unit, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(f"{where}.{unit}: must be a whole number, 0 or more")
        else:
            values[unit] = value
    period = Period(**values)
    if len(values) == len(_UNITS) and period == Period():
        problems.append(f"{where}: must be longer than nothing")
    return period
