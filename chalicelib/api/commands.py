"""Request bodies → typed commands (``chalicelib/services/commands.py``): every body field of the booking routes is
read here and nowhere else, its errors collected per field (``Parsed``), in the catalogue's words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib import texts
from chalicelib.domain.appointments import OUTCOMES, Contact, Status
from chalicelib.domain.bounds import Window, parse_instant, text
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.identifiers import Channel, destination, id_number
from chalicelib.services.commands import BookRequest, Parsed, RecordOutcome, Reschedule, StaffBooking

NOTES_MAX = 2000


def service_id(body: dict[str, Any]) -> str:
    """The service a booking is for: needed before anything else of the body can be judged (its window, its rules)."""
    found = body.get("service_id")
    if not isinstance(found, str):
        raise ValidationFailed([FieldError("service_id", "required")])
    return found


def book_request(body: dict[str, Any], *, staff: bool, window: Window, zone: ZoneInfo) -> Parsed[BookRequest]:
    errors: list[FieldError] = []
    start = _instant(body.get("start"), "start", errors, window, zone)
    contact = _contact(body.get("contact"), errors)
    language = body.get("language", texts.DEFAULT_LANGUAGE)
    if language not in texts.LANGUAGES:
        errors.append(FieldError("language", "one_of", choices=", ".join(texts.LANGUAGES)))
    for_citizen = _for_citizen(body.get("citizen"), errors) if staff else None
    if errors or start is None:
        return Parsed(None, tuple(errors))
    return Parsed(BookRequest(start, contact, str(language), for_citizen))


def reschedule(body: dict[str, Any], *, window: Window, zone: ZoneInfo) -> Parsed[Reschedule]:
    errors: list[FieldError] = []
    start = _instant(body.get("start"), "start", errors, window, zone)
    return Parsed(None, tuple(errors)) if start is None else Parsed(Reschedule(start))


def record_outcome(body: dict[str, Any]) -> Parsed[RecordOutcome]:
    outcome, notes = body.get("outcome"), body.get("notes")
    errors = []
    if outcome not in {s.value for s in OUTCOMES}:
        errors.append(FieldError("outcome", "one_of", choices=", ".join(s.value for s in OUTCOMES)))
    if notes is not None and (not isinstance(notes, str) or len(notes) > NOTES_MAX):
        errors.append(FieldError("notes", "too_long", high=NOTES_MAX))
    if errors:
        return Parsed(None, tuple(errors))
    return Parsed(RecordOutcome(Status(str(outcome)), notes if isinstance(notes, str) else None))


def _instant(raw: object, field: str, errors: list[FieldError], window: Window, zone: ZoneInfo) -> datetime | None:
    try:
        return parse_instant(raw, field, window, zone)
    except ValidationFailed as exc:
        errors += exc.errors
        return None


def _for_citizen(raw: object, errors: list[FieldError]) -> StaffBooking | None:
    if not isinstance(raw, dict):
        errors.append(FieldError("citizen", "citizen_id_needed"))
        return None
    number = name = None
    try:
        number = id_number(raw.get("id_number"), "citizen.id_number")
    except ValidationFailed as exc:
        errors += exc.errors
    if raw.get("name") is not None:
        try:
            name = text(raw.get("name"), "citizen.name", kind="name")
        except ValidationFailed as exc:
            errors += exc.errors
    return None if number is None else StaffBooking(number, name)


def _contact(raw: object, errors: list[FieldError]) -> Contact:
    if not isinstance(raw, dict):
        errors.append(FieldError("contact", "contact_needed"))
        return Contact()
    email = phone = None
    try:
        if raw.get("email"):
            email = destination(Channel.EMAIL, raw["email"], "contact.email")
        if raw.get("phone"):
            phone = destination(Channel.SMS, raw["phone"], "contact.phone")
    except ValidationFailed as exc:
        errors += exc.errors
    if not email and not phone and not any(e.field.startswith("contact") for e in errors):
        errors.append(FieldError("contact", "contact_needed"))
    return Contact(email, phone)
