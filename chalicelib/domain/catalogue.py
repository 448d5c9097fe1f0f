"""The catalogue: the council's offices and the services (procedures) citizens can book by video."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.domain.errors import FieldError, ValidationFailed

LANGUAGES = ("ca", "es", "en")
SERVICE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class OfficeId(StrEnum):
    OMAC = "OMAC"  # Oficina Municipal d'Atenció Ciutadana: citizen service office
    OGAT = "OGAT"  # Oficina de Gestió i Atenció Tributària: tax office


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


@dataclass(frozen=True)
class Text:
    """A user-facing text in the three languages every citizen screen offers."""

    ca: str
    es: str
    en: str

    @classmethod
    def parse(cls, raw: Any, field: str) -> Text:
        if not isinstance(raw, dict):
            raise ValidationFailed([FieldError(field, "must be an object with ca, es and en texts")])
        errors = [
            FieldError(f"{field}.{lang}", "must be a non-empty text")
            for lang in LANGUAGES
            if not isinstance(raw.get(lang), str) or not raw[lang].strip()
        ]
        if errors:
            raise ValidationFailed(errors)
        return cls(ca=raw["ca"], es=raw["es"], en=raw["en"])

    def in_language(self, language: str) -> str:
        return str(getattr(self, language if language in LANGUAGES else "ca"))

    def as_dict(self) -> dict[str, str]:
        return {"ca": self.ca, "es": self.es, "en": self.en}


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

    def __post_init__(self) -> None:
        errors = []
        if not SERVICE_ID.fullmatch(self.id):
            errors.append(FieldError("id", "must be lower-case letters, digits and hyphens"))
        if not 5 <= self.duration_minutes <= 240 or self.duration_minutes % 5:
            errors.append(FieldError("duration_minutes", "must be a multiple of 5 between 5 and 240"))
        if not 0 <= self.buffer_minutes <= 60 or self.buffer_minutes % 5:
            errors.append(FieldError("buffer_minutes", "must be a multiple of 5 between 0 and 60"))
        if not 0 <= self.min_notice_minutes <= 7 * 24 * 60:
            errors.append(FieldError("min_notice_minutes", "must be between 0 and a week"))
        if not 1 <= self.horizon_days <= 366:
            errors.append(FieldError("horizon_days", "must be between 1 and 366"))
        if errors:
            raise ValidationFailed(errors)


@dataclass(frozen=True)
class WeeklyHours:
    """Opening hours: weekday (0 = Monday) → list of ("HH:MM", "HH:MM") intervals in the council's zone."""

    intervals: dict[int, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class Office:
    id: OfficeId
    name: Text
    address: str
    timezone: str
    opening_hours: WeeklyHours
