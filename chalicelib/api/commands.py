"""Request bodies → typed commands (``chalicelib/services/commands.py``): every body field of booking, procedures,
consent, attachments, the instalment preview and the trail's verification is read here and nowhere else, its errors
collected per field (``Parsed``), each named by its catalogue key.
"""

from __future__ import annotations

import base64
import functools
import re
import zoneinfo
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from chalicelib import texts
from chalicelib.auth.codes import CODE_DIGITS
from chalicelib.domain.appointments import OUTCOMES, Contact, Status
from chalicelib.domain.bounds import MAX_STATS_DAYS, MAX_TEXT, Window, parse_day, parse_instant, parse_period, text
from chalicelib.domain.calendar import parse_year
from chalicelib.domain.catalogue import OFFICE_ID, OFFICE_KINDS, Assurance, Office, OfficeId, Service, Text, WeeklyHours
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.identifiers import Channel, destination, id_number
from chalicelib.domain.identity_check import CheckMethod
from chalicelib.domain.instalments import InstalmentRules
from chalicelib.domain.preflight import Report, parse_report
from chalicelib.domain.procedures import REGISTRY
from chalicelib.domain.waitlist import PartOfDay, check_range
from chalicelib.services.commands import (
    AddAttachment,
    BookRequest,
    CodeEntry,
    HolidaysChange,
    InstalmentPreview,
    JoinWaitlist,
    NewScheduleException,
    NewStaff,
    OfficeChange,
    Parsed,
    RecordOutcome,
    RequestCode,
    Reschedule,
    RunProcedure,
    ScheduleChange,
    ServiceChange,
    SetPassword,
    StaffBooking,
    StaffChange,
    StaffLogin,
    StatedReason,
    StatsQuery,
    VerifyPeriod,
)
from chalicelib.services.documents import ATTACHMENT_MAX_BASE64, ATTACHMENT_MAX_BYTES, ATTACHMENT_TYPES

NOTES_MAX = 2000
T = TypeVar("T")


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


def join_waitlist(body: dict[str, Any], *, today: date, latest: date) -> Parsed[JoinWaitlist]:
    """``from`` and ``to`` (days, from today to ``latest``: the service's horizon), an optional ``part_of_day``,
    the contact offers go to and their language."""
    errors: list[FieldError] = []
    window = Window(today, latest, "window_waitlist")
    first = _gather(errors, parse_day, body.get("from"), "from", window)
    last = _gather(errors, parse_day, body.get("to"), "to", window)
    errors += check_range(first, last, today, latest) if first is not None and last is not None else []
    raw_part = body.get("part_of_day")
    part = None
    if raw_part is not None:
        if raw_part not in {p.value for p in PartOfDay}:
            errors.append(FieldError("part_of_day", "part_of_day"))
        else:
            part = PartOfDay(str(raw_part))
    contact = _contact(body.get("contact"), errors)
    language = body.get("language", texts.DEFAULT_LANGUAGE)
    if language not in texts.LANGUAGES:
        errors.append(FieldError("language", "one_of", choices=", ".join(texts.LANGUAGES)))
    if errors or first is None or last is None:
        return Parsed(None, tuple(errors))
    return Parsed(JoinWaitlist(first, last, part, contact, str(language)))


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


def _gather(errors: list[FieldError], parse: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """``parse(*args, **kwargs)``, or None with its field errors added to ``errors`` (every bad field named at once)."""
    try:
        return parse(*args, **kwargs)
    except ValidationFailed as exc:
        errors += exc.errors
        return None


def _instant(raw: object, field: str, errors: list[FieldError], window: Window, zone: ZoneInfo) -> datetime | None:
    return _gather(errors, parse_instant, raw, field, window, zone)


def _for_citizen(raw: object, errors: list[FieldError]) -> StaffBooking | None:
    if not isinstance(raw, dict):
        errors.append(FieldError("citizen", "citizen_id_needed"))
        return None
    number = _gather(errors, id_number, raw.get("id_number"), "citizen.id_number")
    name = None if raw.get("name") is None else _gather(errors, text, raw.get("name"), "citizen.name", kind="name")
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


# --- procedures, consent, attachments, instalment previews ---------------------------------------------------------
REASON_LENGTH = (10, MAX_TEXT["reason"])  # a stated reason, trimmed: a reissue, a hold's step, a playback
MAX_FILENAME_SENT = MAX_TEXT["filename"]  # as sent; stored as ``safe_filename`` makes it (no folders, no controls)
GUARANTEES = ("none", "aval")


def run_procedure(body: dict[str, Any]) -> Parsed[RunProcedure]:
    kind, data = body.get("type"), body.get("data")
    reissue = body.get("reissue", False)
    errors = []
    if not isinstance(kind, str) or kind not in REGISTRY:
        errors.append(FieldError("type", "one_of", choices=", ".join(sorted(REGISTRY))))
    if not isinstance(data, dict):
        errors.append(FieldError("data", "json_object"))
    if not isinstance(reissue, bool):
        errors.append(FieldError("reissue", "boolean"))
    stated = _reason(body, errors) if reissue is True else None
    if errors or not isinstance(kind, str) or not isinstance(data, dict) or not isinstance(reissue, bool):
        return Parsed(None, tuple(errors))
    return Parsed(RunProcedure(kind, data, reissue, stated))


def confirm_consent(body: dict[str, Any]) -> Parsed[CodeEntry] | None:
    """None for the first step (no code yet: send one); else the code the citizen typed."""
    if "code" not in body and "challenge_id" not in body:
        return None
    return _code_entry(body)


def code_entry(body: dict[str, Any]) -> CodeEntry:
    """A sign-in code: refused at once (the caller is nobody yet, there is nothing to authorise first)."""
    return _code_entry(body).command()


def _code_entry(body: dict[str, Any]) -> Parsed[CodeEntry]:
    challenge_id, code = body.get("challenge_id"), body.get("code")
    errors = []
    if not isinstance(challenge_id, str) or not 10 <= len(challenge_id) <= 64:
        errors.append(FieldError("challenge_id", "malformed"))
    if not _is_code(code):
        errors.append(FieldError("code", "code_digits"))
    if errors or not isinstance(challenge_id, str) or not isinstance(code, str):
        return Parsed(None, tuple(errors))
    return Parsed(CodeEntry(challenge_id, code))


def _is_code(value: object) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) == CODE_DIGITS


def request_code(body: dict[str, Any]) -> RequestCode:
    errors: list[FieldError] = []
    subject = _gather(errors, id_number, body.get("id_number"))
    channel = to = None
    try:
        channel = Channel(str(body.get("channel")))
    except ValueError:
        errors.append(FieldError("channel", "one_of", choices=", ".join(c.value for c in Channel)))
    if channel is not None:
        to = _gather(errors, destination, channel, body.get("destination"))
    elif not isinstance(body.get("destination"), str) or not body["destination"].strip():
        errors.append(FieldError("destination", "required"))
    if errors or subject is None or channel is None or to is None:
        raise ValidationFailed(errors)
    return RequestCode(subject, channel, to, texts.language(body.get("language")))


def staff_login(body: dict[str, Any]) -> StaffLogin:
    username, password, otp = body.get("username"), body.get("password"), body.get("otp")
    errors = []
    if not isinstance(username, str) or not 1 <= len(username) <= 64:
        errors.append(FieldError("username", "required"))
    if not isinstance(password, str) or not 1 <= len(password) <= 256:
        errors.append(FieldError("password", "required"))
    if otp is not None and not _is_code(otp):
        errors.append(FieldError("otp", "code_digits"))
    if errors or not isinstance(username, str) or not isinstance(password, str):
        raise ValidationFailed(errors)
    return StaffLogin(username, password, None if otp is None else str(otp), texts.language(body.get("language")))


def add_attachment(body: dict[str, Any]) -> Parsed[AddAttachment]:
    name, content_type, encoded = body.get("filename"), body.get("content_type"), body.get("data_base64")
    errors = []
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_FILENAME_SENT:
        errors.append(FieldError("filename", "length", low=1, high=MAX_FILENAME_SENT))
    if content_type not in ATTACHMENT_TYPES:
        errors.append(FieldError("content_type", "file_type"))
    data = b""
    if not isinstance(encoded, str):
        errors.append(FieldError("data_base64", "base64"))
    elif len(encoded) > ATTACHMENT_MAX_BASE64:
        errors.append(FieldError("data_base64", "file_too_large", megabytes=ATTACHMENT_MAX_BYTES // 2**20))
    else:
        try:
            data = base64.b64decode(encoded, validate=True)
        except ValueError:
            errors.append(FieldError("data_base64", "base64"))
    if data and len(data) > ATTACHMENT_MAX_BYTES:
        errors.append(FieldError("data_base64", "file_too_large", megabytes=ATTACHMENT_MAX_BYTES // 2**20))
    elif (
        content_type in ATTACHMENT_TYPES
        and not any(e.field == "data_base64" for e in errors)
        and not data.startswith(ATTACHMENT_TYPES[str(content_type)])
    ):
        errors.append(FieldError("data_base64", "file_content_type"))
    if errors or not isinstance(name, str):
        return Parsed(None, tuple(errors))
    return Parsed(AddAttachment(name, str(content_type), data))


def instalment_preview(body: dict[str, Any], *, window: Window) -> InstalmentPreview:
    """Raised at once: the preview is about no one's appointment, so there is nothing to authorise first."""
    errors = []
    amount = body.get("amount_cents")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors.append(FieldError("amount_cents", "positive_cents"))
    fractions = body.get("fractions")
    if not isinstance(fractions, int) or isinstance(fractions, bool):
        errors.append(FieldError("fractions", "whole_number"))
    dates = {
        name: _gather(errors, parse_day, body.get(name), name, window) for name in ("voluntary_period_end", "first_due")
    }
    day_of_month, due_days = body.get("day_of_month"), InstalmentRules.current().due_days
    if day_of_month not in due_days:
        errors.append(FieldError("day_of_month", "one_of", choices=", ".join(str(day) for day in due_days)))
    guarantee = body.get("guarantee", "none")
    if guarantee not in GUARANTEES:
        errors.append(FieldError("guarantee", "one_of", choices=", ".join(GUARANTEES)))
    end, first = dates["voluntary_period_end"], dates["first_due"]
    if errors or end is None or first is None:
        raise ValidationFailed(errors)
    # Each is an int here: anything else has its error above.
    return InstalmentPreview(cast(int, amount), cast(int, fractions), end, first, cast(int, day_of_month), guarantee)


def stated_reason(body: dict[str, Any]) -> Parsed[StatedReason]:
    errors: list[FieldError] = []
    reason = _reason(body, errors)
    return Parsed(None, tuple(errors)) if errors else Parsed(StatedReason(reason))


def place_hold(body: dict[str, Any]) -> Parsed[StatedReason]:
    """A hold is placed with ``hold: true`` (lifting one is its own two-person route) and a reason."""
    errors: list[FieldError] = []
    hold = body.get("hold", True)
    if hold is False:
        errors.append(FieldError("hold", "hold_release_elsewhere"))
    elif hold is not True:
        errors.append(FieldError("hold", "must_be_true"))
    reason = _reason(body, errors)
    return Parsed(None, tuple(errors)) if errors else Parsed(StatedReason(reason))


def _reason(body: dict[str, Any], errors: list[FieldError]) -> str:
    reason = body.get("reason")
    text = reason.strip() if isinstance(reason, str) else ""
    low, high = REASON_LENGTH
    if not low <= len(text) <= high:
        errors.append(FieldError("reason", "reason_length", low=low, high=high))
    return text


def identity_check(body: dict[str, Any]) -> Parsed[CheckMethod]:
    """How the agent checked the citizen's identity in the call; a person who does not match is refused at
    ``matches`` (the document must not be issued)."""
    errors = []
    method = body.get("method")
    if method not in {m.value for m in CheckMethod}:
        errors.append(FieldError("method", "one_of", choices=", ".join(CheckMethod)))
    matches = body.get("matches")
    if matches is False:
        errors.append(FieldError("matches", "identity_not_matching"))
    elif matches is not True:
        errors.append(FieldError("matches", "identity_matches"))
    return Parsed(None, tuple(errors)) if errors else Parsed(CheckMethod(str(method)))


def preflight(body: dict[str, Any]) -> Parsed[Report]:
    """A pre-flight check's report: its rules of what may be reported live with the check (``parse_report``)."""
    errors: list[FieldError] = []
    report = _gather(errors, parse_report, body)
    return Parsed(None, tuple(errors)) if report is None else Parsed(report)


def verify_period(body: dict[str, Any], *, today: date, zone: ZoneInfo) -> Parsed[VerifyPeriod]:
    """The period to verify the trail for, read as the trail's searches read theirs (``parse_period``)."""
    errors: list[FieldError] = []
    bounds = _gather(errors, parse_period, body, today, zone)
    return Parsed(None, tuple(errors)) if bounds is None else Parsed(VerifyPeriod(*bounds))


def stats_query(
    params: dict[str, Any], *, today: date, window: Window, zone: ZoneInfo, offices: Sequence[OfficeId]
) -> Parsed[StatsQuery]:
    """The supervisor's figures asked for: ``from`` and ``to`` council days (``parse_period``, days only, at most
    ``MAX_STATS_DAYS``, each today if absent) within ``window``, and ``office`` (absent or empty: every office)."""
    errors: list[FieldError] = []
    bounds = _gather(errors, parse_period, params, today, zone, window=window, max_days=MAX_STATS_DAYS, days_only=True)
    office: OfficeId | None = None
    raw = params.get("office")
    if raw:
        if raw in offices:
            office = str(raw)
        else:
            errors.append(FieldError("office", "one_of", choices=", ".join(offices)))
    if errors or bounds is None:
        return Parsed(None, tuple(errors))
    start, end = bounds
    zoned = (start.astimezone(zone).date(), (end - timedelta(days=1)).astimezone(zone).date())
    return Parsed(StatsQuery(zoned[0], zoned[1], office))


# --- staff administration (issue 15) ---------------------------------------------------------------------------

USERNAME = re.compile(r"[a-z][a-z0-9.]{2,30}")
STAFF_ROLE_NAMES = ("admin", "agent", "auditor", "supervisor")
LINK_TOKEN_MAX = 128


def new_staff(body: dict[str, Any], *, offices: frozenset[str]) -> Parsed[NewStaff]:
    errors: list[FieldError] = []
    username = body.get("username")
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        errors.append(FieldError("username", "username"))
    person = _staff_fields(body, offices, errors)
    if errors or person is None or not isinstance(username, str):
        return Parsed(None, tuple(errors))
    return Parsed(NewStaff(username, *person))


def staff_change(body: dict[str, Any], *, offices: frozenset[str]) -> Parsed[StaffChange]:
    errors: list[FieldError] = []
    person = _staff_fields(body, offices, errors)
    enabled = body.get("enabled")
    if not isinstance(enabled, bool):
        errors.append(FieldError("enabled", "boolean"))
    version = version_field(body.get("version"), errors)
    if errors or person is None:
        return Parsed(None, tuple(errors))
    return Parsed(StaffChange(*person, enabled=bool(enabled), version=version))


def _staff_fields(
    body: dict[str, Any], offices: frozenset[str], errors: list[FieldError]
) -> tuple[str, str, tuple[str, ...], str | None] | None:
    """name, email, roles and office, as the create and the change both send them."""
    name = _gather(errors, text, body.get("name"), "name", kind="name")
    email = _gather(errors, destination, Channel.EMAIL, body.get("email"), "email")
    raw_roles, office = body.get("roles"), body.get("office")
    roles: tuple[str, ...] | None = None
    if (
        not isinstance(raw_roles, list)
        or not raw_roles
        or len(raw_roles) > len(STAFF_ROLE_NAMES)
        or any(r not in STAFF_ROLE_NAMES for r in raw_roles)
        or len(set(raw_roles)) != len(raw_roles)
    ):
        errors.append(FieldError("roles", "staff_roles", choices=", ".join(STAFF_ROLE_NAMES)))
    else:
        roles = tuple(sorted(str(r) for r in raw_roles))
    if office is not None and (not isinstance(office, str) or office not in offices):
        errors.append(FieldError("office", "unknown_office"))
        office = None
    elif office is None and roles is not None and "agent" in roles:
        errors.append(FieldError("office", "agent_office"))
    if name is None or email is None or roles is None:
        return None
    return name, email, roles, office


def set_password(body: dict[str, Any]) -> Parsed[SetPassword]:
    """The token is only checked for shape here (an unknown one is 410, as a used one); the password's rules need the
    holder's user name and are checked by the service."""
    token, password = body.get("token"), body.get("password")
    errors = []
    if not isinstance(token, str) or not 1 <= len(token) <= LINK_TOKEN_MAX:
        errors.append(FieldError("token", "malformed"))
    if not isinstance(password, str):
        errors.append(FieldError("password", "text"))
    if errors:
        return Parsed(None, tuple(errors))
    return Parsed(SetPassword(str(token), str(password)))


# --- the catalogue as administrators write it --------------------------------------------------------------------

DEFAULT_TIMEZONE = "Europe/Madrid"
SERVICE_CODE = re.compile(r"[a-z0-9-]{3,40}")
MAX_REQUIRED_DOCUMENTS = 10
# The longest text of each kind of catalogue words, per language.
CATALOGUE_TEXT = {"name": 120, "description": 1000, "required_documents": 200, "address": 200}


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def office_change(body: dict[str, Any], *, office_id: str | None = None) -> Parsed[OfficeChange]:
    """A new office (``office_id`` None: its id from the body) or the office ``office_id`` as it is to be, with the
    version read (required then)."""
    errors: list[FieldError] = []
    code = office_id if office_id is not None else body.get("id")
    if office_id is None and not (isinstance(code, str) and OFFICE_ID.fullmatch(code)):
        errors.append(FieldError("id", "office_code"))
    name = _catalogue_text(body.get("name"), "name", errors)
    zone = body.get("timezone", DEFAULT_TIMEZONE)
    if not isinstance(zone, str) or zone not in _timezones():
        errors.append(FieldError("timezone", "timezone"))
    address = body.get("address") or ""
    if not isinstance(address, str) or len(address) > CATALOGUE_TEXT["address"]:
        errors.append(FieldError("address", "too_long", high=CATALOGUE_TEXT["address"]))
    kinds = body.get("kinds", [])
    if not isinstance(kinds, list) or any(kind not in OFFICE_KINDS for kind in kinds):
        errors.append(FieldError("kinds", "one_of", choices=", ".join(OFFICE_KINDS)))
    hours = _gather(errors, WeeklyHours.parse, body.get("opening_hours"), "opening_hours")
    overflow = _whole(body, "overflow_after_minutes", errors, default=5, low=0, high=120)
    version = _version(body, errors, required=office_id is not None)
    if errors or name is None or hours is None:
        return Parsed(None, tuple(errors))
    office = Office(
        id=str(code),
        name=name,
        address=str(address).strip(),
        timezone=str(zone),
        opening_hours=hours,
        kinds=frozenset(kinds),
        overflow_after_minutes=cast(int, overflow),
    )
    return Parsed(OfficeChange(office, version))


def service_change(body: dict[str, Any], *, service_id: str | None = None) -> Parsed[ServiceChange]:
    """A new catalogue service (``service_id`` None: its id from the body) or the service ``service_id`` as it is to
    be, with the version read. Whether its office exists and may offer its procedure is the use case's to say."""
    errors: list[FieldError] = []
    code = service_id if service_id is not None else body.get("id")
    if service_id is None and not (isinstance(code, str) and SERVICE_CODE.fullmatch(code)):
        errors.append(FieldError("id", "service_code"))
    office = body.get("office")
    if not isinstance(office, str) or not office:
        errors.append(FieldError("office", "required"))
    name = _catalogue_text(body.get("name"), "name", errors)
    description = _catalogue_text(body.get("description"), "description", errors)
    duration = _whole(body, "duration_minutes", errors, default=None, low=5, high=240)
    assurance = body.get("min_assurance")
    if not isinstance(assurance, str) or assurance not in {a.value for a in Assurance}:
        errors.append(FieldError("min_assurance", "one_of", choices=", ".join(Assurance)))
    documents: list[Text] = []
    raw_documents = body.get("required_documents", [])
    if not isinstance(raw_documents, list) or len(raw_documents) > MAX_REQUIRED_DOCUMENTS:
        errors.append(FieldError("required_documents", "list_at_most", count=MAX_REQUIRED_DOCUMENTS))
    else:
        for index, raw in enumerate(raw_documents):
            found = _catalogue_text(raw, f"required_documents.{index}", errors, kind="required_documents")
            if found is not None:
                documents.append(found)
    procedure = body.get("procedure")
    if procedure is not None and (not isinstance(procedure, str) or procedure not in REGISTRY):
        errors.append(FieldError("procedure", "one_of", choices=", ".join(sorted(REGISTRY))))
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        errors.append(FieldError("enabled", "boolean"))
    buffer = _whole(body, "buffer_minutes", errors, default=5, low=0, high=60)
    notice = _whole(body, "min_notice_minutes", errors, default=120, low=0, high=7 * 24 * 60)
    horizon = _whole(body, "horizon_days", errors, default=60, low=1, high=366)
    version = _version(body, errors, required=service_id is not None)
    if errors or name is None or description is None:
        return Parsed(None, tuple(errors))
    try:
        service = Service(
            id=str(code),
            office=str(office),
            name=name,
            description=description,
            duration_minutes=cast(int, duration),
            min_assurance=Assurance(str(assurance)),
            required_documents=tuple(documents),
            procedure=procedure,
            active=bool(enabled),
            buffer_minutes=cast(int, buffer),
            min_notice_minutes=cast(int, notice),
            horizon_days=cast(int, horizon),
        )
    except ValidationFailed as exc:  # the service's own rules (a slug, the longest hold)
        return Parsed(None, tuple(exc.errors))
    return Parsed(ServiceChange(service, version))


def _catalogue_text(raw: object, field: str, errors: list[FieldError], *, kind: str | None = None) -> Text | None:
    found = _gather(errors, Text.parse, raw, field)
    if found is None:
        return None
    high = CATALOGUE_TEXT[kind or field]
    long = [
        FieldError(f"{field}.{lang}", "too_long", high=high) for lang, t in found.as_dict().items() if len(t) > high
    ]
    errors += long
    return None if long else found


def _whole(
    body: dict[str, Any], field: str, errors: list[FieldError], *, default: int | None, low: int, high: int
) -> int | None:
    raw = body.get(field, default)
    if raw is None:
        errors.append(FieldError(field, "required"))
        return None
    if not isinstance(raw, int) or isinstance(raw, bool) or not low <= raw <= high:
        errors.append(FieldError(field, "between", low=low, high=high))
        return None
    return raw


def _version(body: dict[str, Any], errors: list[FieldError], *, required: bool) -> int | None:
    """The version a change of a catalogue record read (a create sends none)."""
    return version_field(body.get("version"), errors) if required else None


# --- schedules, leave and holidays (issue 15) ---------------------------------------------------------------------

EXCEPTION_KINDS = ("leave", "extra")
# An exception is written for today up to a year ahead.
EXCEPTION_DAYS = 365


def version_field(raw: object, errors: list[FieldError], low: int = 1) -> int:
    """The version a write says it read (``low`` 0 for a holiday year never saved), or -1 and the field's error: the
    one parser of every versioned write's ``version``, one error key."""
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= 10**9:
        errors.append(FieldError("version", "version"))
        return -1
    return raw


def schedule_change(body: dict[str, Any]) -> Parsed[ScheduleChange]:
    errors: list[FieldError] = []
    office = body.get("office")
    if not isinstance(office, str) or not office:
        errors.append(FieldError("office", "text"))
    weekly = _gather(errors, WeeklyHours.parse, body.get("weekly"), "weekly")
    version = version_field(body.get("version"), errors)
    if errors or weekly is None:
        return Parsed(None, tuple(errors))
    return Parsed(ScheduleChange(str(office), weekly, version))


def schedule_exception(body: dict[str, Any], *, today: date) -> Parsed[NewScheduleException]:
    """Leave or extra hours on a day from ``today`` to a year on; extra hours need their intervals."""
    window = Window(today, today + timedelta(days=EXCEPTION_DAYS), "window_exception")
    errors: list[FieldError] = []
    day = _gather(errors, parse_day, body.get("date"), "date", window)
    kind = body.get("kind")
    if kind not in EXCEPTION_KINDS:
        errors.append(FieldError("kind", "one_of", choices=", ".join(EXCEPTION_KINDS)))
    raw = body.get("intervals")
    spans: tuple[tuple[str, str], ...] = ()
    if raw is not None or kind == "extra":
        try:
            spans = WeeklyHours.parse({"1": raw}, "intervals").intervals.get(0, ())
        except ValidationFailed as exc:
            keys = {e.key for e in exc.errors}
            if "interval_order" in keys:
                errors.append(FieldError("intervals", "interval_order"))
            elif "interval_overlap" in keys:
                errors.append(FieldError("intervals", "interval_overlap"))
            else:
                errors.append(FieldError("intervals", "intervals"))
        if kind == "extra" and not spans and not any(e.field == "intervals" for e in errors):
            errors.append(FieldError("intervals", "required"))
    if errors or day is None:
        return Parsed(None, tuple(errors))
    return Parsed(NewScheduleException(day, str(kind), spans))


def holidays_change(body: dict[str, Any], *, year: int, offices: Sequence[OfficeId]) -> Parsed[HolidaysChange]:
    errors: list[FieldError] = []
    items = _gather(errors, parse_year, body.get("items"), year, list(offices))
    version = version_field(body.get("version"), errors, low=0)
    if errors or items is None:
        return Parsed(None, tuple(errors))
    return Parsed(HolidaysChange(tuple(items), version))
