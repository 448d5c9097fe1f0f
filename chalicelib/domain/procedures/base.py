"""What every procedure is made of: its form (fields), validation, summary, consent rule and the documents it issues.

A procedure is one module in this package (found by itself: ``__init__.py``) plus its texts in the catalogues
(``chalicelib/texts/<language>.json``, keys ``procedure.<type>.…``): the core (service, API, SPA) works from these
descriptions and never names a procedure.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any, Literal, Protocol

from chalicelib.domain.appointments import Appointment
from chalicelib.domain.errors import FieldError
from chalicelib.texts import say

Kind = Literal["text", "choice", "multichoice", "date", "integer", "money", "iban", "boolean", "file"]
# A form's words in whichever language the form is asked in: a catalogue key (``said``) or words built from the
# register's data (a debt's concept and its amount written the language's way).
Words = Callable[[str], str]


def said(key: str, **params: object) -> Words:
    """The catalogue's text under ``key``, in the language asked later."""
    return partial(say, key, **params)


@dataclass(frozen=True)
class Option:
    value: str
    label: Words
    # Facts the form may use without asking the API again, e.g. a debt's amount for the instalment preview.
    extra: tuple[tuple[str, str | int], ...] = ()


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    label: Words
    required: bool = True
    help: Words | None = None
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


class Texts:
    """One procedure's texts in the catalogues, under ``procedure.<type>.``: its ``title``, each field's
    ``field.<name>.label`` (and ``.help``), each choice's ``option.<field>.<value>``, and whatever its documents
    print (``printed.<name>``)."""

    def __init__(self, kind: str) -> None:
        self.prefix = f"procedure.{kind}."

    def say(self, name: str, language: str, /, **params: object) -> str:
        return say(self.prefix + name, language, **params)

    def label(self, field: str) -> Words:
        return said(f"{self.prefix}field.{field}.label")

    def help(self, field: str) -> Words:
        return said(f"{self.prefix}field.{field}.help")

    def options(self, field: str, values: Sequence[str]) -> tuple[Option, ...]:
        return tuple(Option(value, said(f"{self.prefix}option.{field}.{value}")) for value in values)


class Titled:
    """A procedure's title: the ``title`` text under its type, the same way for every procedure."""

    type: str

    def title(self, language: str) -> str:
        return Texts(self.type).say("title", language)


def full_name(person: dict[str, Any]) -> str:
    """A person of the padrón by name: given name and both surnames, those there are."""
    return " ".join(p for p in (person.get("given_name"), person.get("surname1"), person.get("surname2")) if p)


def chosen(
    ids: object, known: Collection[str], errors: list[FieldError], *, none: FieldError, foreign: FieldError
) -> list[str]:
    """The ids a ``multichoice`` field's value names, each one of ``known``; otherwise ``none`` (no list of ids) or
    ``foreign`` (one the citizen does not have) is added to ``errors``."""
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        errors.append(none)
        return []
    if any(i not in known for i in ids):
        errors.append(foreign)
    return ids


def owed_cents(debt: dict[str, Any]) -> int:
    """What a debt of the tax ledger still owes: its principal plus its surcharge, in cents."""
    return int(debt.get("principal_cents", 0)) + int(debt.get("surcharge_cents", 0))


# --- document content (laid out as PDF by chalicelib/documents/pdf.py) -----------------------------------------------
@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Facts:
    """Label / value pairs, e.g. the holder's identity or the address."""

    rows: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class Barcode:
    """A GS1-128 barcode (Code 128 with FNC1) of ``digits``, e.g. a Cuaderno 60 payment letter's 42 digits."""

    digits: str
    caption: str

    def __post_init__(self) -> None:
        if not self.digits.isdigit() or len(self.digits) % 2:
            # Code set C packs digit pairs; Cuaderno 60 barcodes have 42 or 38 digits.
            raise ValueError("a GS1-128 barcode here is an even number of digits")


Block = Heading | Paragraph | Facts | Table | Barcode


@dataclass(frozen=True)
class DocumentDraft:
    kind: str  # e.g. "residence_certificate"
    title: str  # in the citizen's language
    blocks: tuple[Block, ...]
    # Padrón documents: the holder's ID number, which the public verification asks for.
    holder_id_number: str | None = None


@dataclass(frozen=True)
class Issuance:
    """How a draft is issued: in which language, for which council and office, when, under which CSV and
    verification URL, and until when the council keeps it (printed on the document when known)."""

    language: str
    council: str
    office_name: str
    issued_at: datetime
    csv: str
    verify_url: str
    kept_until: datetime | None = None


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
    # The kinds of office (``Office.kinds``) that may offer it; empty: any office. A catalogue service names the
    # procedure it carries out (``Service.procedure``), and writing one at an office of another kind is refused.
    office_kinds: frozenset[str]
    needs_consent: bool
    # What the register reads are for (the audit event's purpose).
    purpose: str
    # Whether its documents hold personal data (register, tax or bank data). Then they are issued only when the
    # appointment's citizen identified at the substantial level or higher, or the agent recorded an identity check
    # in the call (chalicelib/domain/identity_check.py). Every procedure so far does: a new one says so explicitly.
    personal_data: bool

    def title(self, language: str) -> str: ...

    def fields(self, ctx: Context) -> list[Field]: ...

    def validate(self, data: dict[str, Any], ctx: Context) -> dict[str, Any]:
        """The clean data, or ValidationFailed naming every bad field as ``data.<name>``."""
        ...

    def summary(self, clean: dict[str, Any], ctx: Context) -> list[tuple[str, str]]: ...

    def documents(self, clean: dict[str, Any], ctx: Context) -> list[DocumentDraft]: ...


def euros(cents: int, language: str) -> str:
    """1234567 → "12.345,67 €" (ca/es) or "€12,345.67" (en): the separators and the symbol's place are the
    catalogue's (``format.*``)."""
    whole, part = divmod(abs(cents), 100)
    amount = f"{whole:,}".replace(",", say("format.thousands", language)) + say("format.decimal", language)
    return say("format.money", language, sign="-" if cents < 0 else "", amount=f"{amount}{part:02d}")


def day(value: date, language: str) -> str:
    return say("format.date", language, at=value)
