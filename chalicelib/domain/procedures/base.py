"""What every procedure is made of: its form (fields), validation, summary, consent rule and the documents it issues.

A procedure is one module in this package plus one line in ``REGISTRY`` (``__init__.py``): the core (service, API, SPA)
works from these descriptions and never names a procedure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol

from chalicelib.domain.appointments import Appointment
from chalicelib.domain.catalogue import OfficeId

Language = Literal["ca", "es", "en"]
Kind = Literal["text", "choice", "multichoice", "date", "integer", "money", "iban", "boolean", "file"]


@dataclass(frozen=True)
class Text:
    ca: str
    es: str
    en: str

    def __call__(self, language: str) -> str:
        return str(getattr(self, language if language in ("ca", "es", "en") else "ca"))


@dataclass(frozen=True)
class Option:
    value: str
    label: Text
    # Facts the form may use without asking the API again, e.g. a debt's amount for the instalment preview.
    extra: tuple[tuple[str, str | int], ...] = ()


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    label: Text
    required: bool = True
    help: Text | None = None
    options: tuple[Option, ...] = ()
    min: int | None = None
    max: int | None = None

    def to_json(self, language: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "label": self.label(language),
            "required": self.required,
        }
        if self.help:
            body["help"] = self.help(language)
        if self.options or self.kind in ("choice", "multichoice"):
            body["options"] = [{"value": o.value, "label": o.label(language), **dict(o.extra)} for o in self.options]
        if self.min is not None:
            body["min"] = self.min
        if self.max is not None:
            body["max"] = self.max
        return body


# --- document content (rendered to PDF by chalicelib/documents) ----------------------------------------------------
@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Facts:
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Barcode:
    digits: str
    caption: str


Block = Heading | Paragraph | Facts | Table | Barcode


@dataclass(frozen=True)
class DocumentDraft:
    kind: str  # e.g. "residence_certificate"
    title: str  # in the citizen's language
    blocks: tuple[Block, ...]
    # Padrón documents: the holder's ID number, which the public verification asks for.
    holder_id_number: str | None = None


@dataclass(frozen=True)
class Context:
    """What a procedure may know while it runs: the appointment, the citizen's register data, the clock."""

    appointment: Appointment
    language: str
    now: datetime
    person: dict[str, Any] | None
    household: tuple[dict[str, Any], ...] = ()
    ledger: tuple[dict[str, Any], ...] = ()
    council: str = ""
    office_name: str = ""
    is_working_day: Callable[[date], bool] = field(default=lambda d: d.weekday() < 5)
    config: dict[str, Any] = field(default_factory=dict)
    # Supporting documents added to the appointment (POST /appointments/{id}/attachments): id, title, sha256, …
    attachments: tuple[dict[str, Any], ...] = ()


class Procedure(Protocol):
    type: str
    office: OfficeId
    title: Text
    needs_consent: bool
    # What the register reads are for (the audit event's purpose).
    purpose: str
    # Whether its documents hold personal data (register, tax or bank data). Then they are issued only when the
    # appointment's citizen identified at the substantial level or higher, or the agent recorded an identity check
    # in the call (chalicelib/domain/identity_check.py). Every procedure so far does: a new one says so explicitly.
    personal_data: bool

    def fields(self, ctx: Context) -> list[Field]: ...

    def validate(self, data: dict[str, Any], ctx: Context) -> dict[str, Any]:
        """The clean data, or ValidationFailed naming every bad field as ``data.<name>``."""
        ...

    def summary(self, clean: dict[str, Any], ctx: Context) -> list[tuple[str, str]]: ...

    def documents(self, clean: dict[str, Any], ctx: Context) -> list[DocumentDraft]: ...


def euros(cents: int, language: str) -> str:
    """1234567 → "12.345,67 €" (ca/es) or "€12,345.67" (en)."""
    whole, part = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    if language == "en":
        return f"{sign}€{whole:,}.{part:02d}"
    return f"{sign}{whole:,}".replace(",", ".") + f",{part:02d} €"


def day(value: date, language: str) -> str:
    return value.strftime("%d/%m/%Y") if language != "en" else value.isoformat()
