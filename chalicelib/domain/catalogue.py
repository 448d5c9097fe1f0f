"""The catalogue: the council's offices and the services (procedures) citizens can book by video."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib import texts
from chalicelib.domain.errors import FieldError, ValidationFailed

SERVICE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
OFFICE_ID = re.compile(r"[A-Z][A-Z0-9]{1,9}")
# An office's code (``OFFICE_ID``, e.g. "OMAC"). Offices are data (the catalogue's records), never code: a new office
# needs no code change anywhere.
OfficeId = str
# What an office is flagged as; a procedure module names the kinds of office that may offer it.
OFFICE_KINDS = ("tax",)
# ISO weekdays as the API and the stored records key them: "1" = Monday … "7" = Sunday (Python counts 0 = Monday).
ISO_WEEKDAYS = tuple(str(day) for day in range(1, 8))
HH_MM = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
# The longest an appointment holds its agent, buffer included. Moving an appointment to another agent is one
# DynamoDB transaction (at most 100 items): the old agent's five-minute units deleted, the new one's put, the
# appointment updated, 2 x 48 + 1 items for a 240-minute hold.
MAX_HELD_MINUTES = 240


class Assurance(StrEnum):
    """eIDAS levels of assurance, ordered."""

    LOW = "low"
    SUBSTANTIAL = "substantial"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return list(Assurance).index(self)

    def satisfies(self, required: Assurance) -> bool:
        return self.rank >= required.rank


class Text:
    """Words that are data (a service's name and description, an office's name, a holiday's): one text per language,
    keyed by language (``Text(ca="…", es="…")``). Every text has the council's language; a language it lacks reads
    as that one, so a language added later needs no data change to start with. Texts that are code's live in the
    catalogues (``chalicelib.texts``)."""

    __slots__ = ("_by_language",)

    def __init__(self, **by_language: str) -> None:
        self._by_language = dict(by_language)

    @classmethod
    def parse(cls, raw: Any, field: str) -> Text:
        """The text in ``raw``, or every bad language named as ``<field>.<language>`` at once: the default language
        must be there, and every language we speak that is there must be a non-empty text (others are ignored)."""
        if not isinstance(raw, dict):
            raise ValidationFailed([FieldError(field, "texts_per_language")])
        errors = [
            FieldError(f"{field}.{lang}", "non_empty_text")
            for lang in texts.LANGUAGES
            if (lang in raw or lang == texts.DEFAULT_LANGUAGE)
            and (not isinstance(raw.get(lang), str) or not raw[lang].strip())
        ]
        if errors:
            raise ValidationFailed(errors)
        return cls(**{lang: raw[lang] for lang in texts.LANGUAGES if lang in raw})

    def in_language(self, language: str) -> str:
        return self._by_language.get(language) or self._by_language[texts.DEFAULT_LANGUAGE]

    def as_dict(self) -> dict[str, str]:
        return dict(self._by_language)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and other._by_language == self._by_language

    def __hash__(self) -> int:
        return hash(frozenset(self._by_language.items()))

    def __repr__(self) -> str:
        return f"Text({', '.join(f'{k}={v!r}' for k, v in self._by_language.items())})"


@dataclass(frozen=True)
class Service:
    id: str
    office: OfficeId
    name: Text
    description: Text
    duration_minutes: int
    min_assurance: Assurance
    required_documents: tuple[Text, ...] = ()
    procedure: str | None = None  # the procedure module the agent runs for it, if any
    active: bool = True
    buffer_minutes: int = 5  # kept free after each appointment (notes, next call's set-up)
    min_notice_minutes: int = 120  # no booking closer to the start than this
    horizon_days: int = 60  # nor further ahead than this
    version: int = 1

    def __post_init__(self) -> None:
        errors = []
        if not SERVICE_ID.fullmatch(self.id):
            errors.append(FieldError("id", "slug"))
        duration_ok = 5 <= self.duration_minutes <= MAX_HELD_MINUTES and not self.duration_minutes % 5
        if not duration_ok:
            errors.append(FieldError("duration_minutes", "multiple_of_5", low=5, high=MAX_HELD_MINUTES))
        if not 0 <= self.buffer_minutes <= 60 or self.buffer_minutes % 5:
            errors.append(FieldError("buffer_minutes", "multiple_of_5", low=0, high=60))
        elif duration_ok and self.duration_minutes + self.buffer_minutes > MAX_HELD_MINUTES:
            errors.append(FieldError("duration_minutes", "held_too_long", minutes=MAX_HELD_MINUTES))
        if not 0 <= self.min_notice_minutes <= 7 * 24 * 60:
            errors.append(FieldError("min_notice_minutes", "notice_range"))
        if not 1 <= self.horizon_days <= 366:
            errors.append(FieldError("horizon_days", "between", low=1, high=366))
        if errors:
            raise ValidationFailed(errors)

    def described(self) -> dict[str, Any]:
        """What a citizen is told of the service (the public API shows it as it is; the store keeps it with the
        booking rules)."""
        return {
            "office": self.office,
            "name": self.name.as_dict(),
            "description": self.description.as_dict(),
            "duration_minutes": self.duration_minutes,
            "min_assurance": self.min_assurance.value,
            "required_documents": [d.as_dict() for d in self.required_documents],
            "procedure": self.procedure,
        }


@dataclass(frozen=True)
class WeeklyHours:
    """Hours of a week (an office's opening hours, an agent's shifts): weekday (0 = Monday) → ("HH:MM", "HH:MM")
    intervals in the office's zone, sorted and never overlapping."""

    intervals: dict[int, tuple[tuple[str, str], ...]]

    @classmethod
    def parse(cls, raw: Any, field: str) -> WeeklyHours:
        """The week in ``raw`` keyed by ISO weekday ("1" … "7", a missing day has no hours), or every bad day named
        as ``<field>.<day>``: times "HH:MM", each interval ending after it starts, a day's intervals not overlapping."""
        if not isinstance(raw, dict) or any(key not in ISO_WEEKDAYS for key in raw):
            raise ValidationFailed([FieldError(field, "weekly_hours")])
        errors: list[FieldError] = []
        week: dict[int, tuple[tuple[str, str], ...]] = {}
        for key, spans in raw.items():
            where = f"{field}.{key}"
            if not isinstance(spans, list) or len(spans) > 8:
                errors.append(FieldError(where, "intervals"))
                continue
            pairs = []
            for span in spans:
                if not (
                    isinstance(span, list | tuple)
                    and len(span) == 2
                    and all(isinstance(t, str) and HH_MM.fullmatch(t) for t in span)
                ):
                    errors.append(FieldError(where, "intervals"))
                    break
                pairs.append((str(span[0]), str(span[1])))
            else:
                pairs.sort()
                if any(a >= b for a, b in pairs):
                    errors.append(FieldError(where, "interval_order"))
                elif any(pairs[i][1] > pairs[i + 1][0] for i in range(len(pairs) - 1)):
                    errors.append(FieldError(where, "interval_overlap"))
                elif pairs:
                    week[int(key) - 1] = tuple(pairs)
        if errors:
            raise ValidationFailed(errors)
        return cls(week)

    def iso(self) -> dict[str, list[list[str]]]:
        """Every ISO weekday with its intervals ([] when closed), as the API and the stored records have it."""
        return {day: [list(span) for span in self.intervals.get(int(day) - 1, ())] for day in ISO_WEEKDAYS}


@dataclass(frozen=True)
class Office:
    id: OfficeId
    name: Text
    address: str
    timezone: str
    opening_hours: WeeklyHours
    kinds: frozenset[str] = frozenset()
    # How long past their start a waiting citizen waits for their own agent before any free agent may take them.
    overflow_after_minutes: int = 5
    version: int = 1

    def described(self) -> dict[str, Any]:
        """What anyone may know of the office (the public API shows it as it is)."""
        return {
            "id": self.id,
            "name": self.name.as_dict(),
            "timezone": self.timezone,
            "address": self.address,
            "kinds": sorted(self.kinds),
            "opening_hours": self.opening_hours.iso(),
            "overflow_after_minutes": self.overflow_after_minutes,
        }
