"""Request bodies → typed commands (chalicelib/api/commands.py): a valid body gives the command with domain values,
each bad field is named with its catalogue key, and the errors wait in ``Parsed`` until the service asks for them."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.api import commands
from chalicelib.domain.appointments import Contact, Status
from chalicelib.domain.bounds import Window
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services.commands import Parsed

MADRID = ZoneInfo("Europe/Madrid")
WINDOW = Window(date(2026, 12, 1), date(2027, 12, 31), "window_booking")
START = "2026-12-10T09:00:00+01:00"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def codes(parsed: Parsed[Any]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as refused:
        parsed.command()
    return {error.field: error.key for error in refused.value.errors}


def test_a_citizens_booking_is_typed() -> None:
    body = {"service_id": "padro", "start": START, "contact": {"email": "ana@example.org"}, "language": "es"}
    command = commands.book_request(body, staff=False, window=WINDOW, zone=MADRID).command()

    assert command.start == datetime(2026, 12, 10, 9, tzinfo=MADRID).astimezone(command.start.tzinfo)
    assert command.contact == Contact("ana@example.org", None)
    assert (command.language, command.for_citizen) == ("es", None)


def test_staff_name_the_citizen_they_book_for() -> None:
    body = {"start": START, "contact": {"phone": "+34600000000"}, "citizen": {"id_number": "12345678Z", "name": "Ana"}}
    command = commands.book_request(body, staff=True, window=WINDOW, zone=MADRID).command()

    assert command.for_citizen is not None
    assert (command.for_citizen.id_number, command.for_citizen.name) == (
        "12345678Z",
        "Ana",
    )
    assert command.language == "ca"  # the council's language when the body names none


def test_every_bad_booking_field_is_named() -> None:
    body = {"start": "tomorrow", "contact": {}, "language": "fr", "citizen": "12345678Z"}

    assert codes(commands.book_request(body, staff=True, window=WINDOW, zone=MADRID)) == {
        "start": "instant_format",
        "contact": "contact_needed",
        "language": "one_of",
        "citizen": "citizen_id_needed",
    }


def test_a_booking_needs_its_service_first() -> None:
    with pytest.raises(ValidationFailed) as refused:
        commands.service_id({"start": START})
    assert [(e.field, e.key) for e in refused.value.errors] == [("service_id", "required")]


def test_a_start_outside_the_window_is_refused() -> None:
    late = (datetime(2028, 1, 5, 9, tzinfo=MADRID)).isoformat()
    assert codes(commands.reschedule({"start": late}, window=WINDOW, zone=MADRID)) == {"start": "window_booking"}
    moved = commands.reschedule({"start": START}, window=WINDOW, zone=MADRID).command()
    assert moved.start.astimezone(MADRID).hour == 9


def test_an_outcome_is_a_status_with_optional_notes() -> None:
    assert commands.record_outcome({"outcome": "no_show"}).command().outcome is Status.NO_SHOW
    assert codes(commands.record_outcome({"outcome": "booked", "notes": "x" * 2001})) == {
        "outcome": "one_of",
        "notes": "too_long",
    }


def test_a_procedure_run_and_a_reissue() -> None:
    run = commands.run_procedure({"type": "residence_certificate", "data": {}}).command()
    assert (run.kind, run.data, run.reissue, run.reason) == ("residence_certificate", {}, False, None)
    again = {"type": "residence_certificate", "data": {}, "reissue": True, "reason": "The first one had a typo"}
    assert commands.run_procedure(again).command().reason == "The first one had a typo"
    assert codes(commands.run_procedure({"type": "passport", "data": [], "reissue": "yes"})) == {
        "type": "one_of",
        "data": "json_object",
        "reissue": "boolean",
    }
    assert codes(commands.run_procedure({**again, "reason": "typo"})) == {"reason": "reason_length"}


def test_consent_without_a_code_asks_for_one() -> None:
    assert commands.confirm_consent({}) is None
    typed = commands.confirm_consent({"challenge_id": "c" * 20, "code": "123456"})
    assert typed is not None
    assert typed.command().code == "123456"
    bad = commands.confirm_consent({"challenge_id": "short", "code": "12a456"})
    assert bad is not None
    assert codes(bad) == {"challenge_id": "malformed", "code": "code_digits"}


def test_an_attachment_is_decoded_and_its_type_checked() -> None:
    body = {"filename": "dni.png", "content_type": "image/png", "data_base64": base64.b64encode(PNG).decode()}
    added = commands.add_attachment(body).command()
    assert (added.filename, added.content_type, added.data) == ("dni.png", "image/png", PNG)

    wrong = {**body, "content_type": "application/pdf"}
    assert codes(commands.add_attachment(wrong)) == {"data_base64": "file_content_type"}
    assert codes(commands.add_attachment({**body, "data_base64": 7, "filename": ""})) == {
        "filename": "length",
        "data_base64": "base64",
    }
    assert codes(commands.add_attachment({**body, "data_base64": "not base64!"})) == {"data_base64": "base64"}


def test_an_instalment_preview_is_typed_or_refused_at_once() -> None:
    today = date(2026, 12, 4)
    window = Window(today - timedelta(days=3650), today + timedelta(days=3650), "window_tax", 10)
    body = {
        "amount_cents": 120000,
        "fractions": 6,
        "voluntary_period_end": "2026-12-20",
        "first_due": "2027-01-05",
        "day_of_month": 5,
    }
    preview = commands.instalment_preview(body, window=window)
    assert (preview.amount_cents, preview.first_due, preview.guarantee) == (120000, date(2027, 1, 5), "none")

    with pytest.raises(ValidationFailed) as refused:
        commands.instalment_preview({**body, "amount_cents": True, "day_of_month": 7, "guarantee": "x"}, window=window)
    assert {e.field: e.key for e in refused.value.errors} == {
        "amount_cents": "positive_cents",
        "day_of_month": "one_of",
        "guarantee": "one_of",
    }


TODAY = date(2026, 12, 10)


def test_a_trail_period_is_read_as_council_days_or_instants() -> None:
    days = commands.verify_period({"from": "2026-12-01", "to": "2026-12-02"}, today=TODAY, zone=MADRID).command()
    instants = commands.verify_period({"from": START, "to": "2026-12-10T10:00:00Z"}, today=TODAY, zone=MADRID)

    assert (days.start, days.end) == (datetime(2026, 12, 1, tzinfo=MADRID), datetime(2026, 12, 3, tzinfo=MADRID))
    assert instants.command().start == datetime(2026, 12, 10, 9, tzinfo=MADRID)
    assert instants.command().end == datetime(2026, 12, 10, 10, tzinfo=UTC)


@pytest.mark.parametrize("body", [{}, {"from": None, "to": None}, {"from": " ", "reason": "ignored"}])
def test_a_trail_period_not_given_is_today(body: dict[str, Any]) -> None:
    period = commands.verify_period(body, today=TODAY, zone=MADRID).command()

    assert (period.start, period.end) == (datetime(2026, 12, 10, tzinfo=MADRID), datetime(2026, 12, 11, tzinfo=MADRID))


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        ({"from": 20261201, "to": ["2026-12-02"]}, {"from": "date_or_time", "to": "date_or_time"}),
        ({"from": "2026-02-30", "to": "yesterday"}, {"from": "real_date", "to": "instant_format"}),
        ({"from": "2019-12-31"}, {"from": "window_records"}),
        ({"to": "2026-12-12"}, {"to": "window_records"}),
        ({"from": "2026-12-05", "to": "2026-12-04"}, {"to": "after_from"}),
        ({"from": "2026-11-01", "to": "2026-12-02"}, {"to": "period_too_long"}),
    ],
)
def test_a_bad_trail_period_waits_in_its_fields(body: dict[str, Any], refused: dict[str, str]) -> None:
    parsed = commands.verify_period(body, today=TODAY, zone=MADRID)

    assert parsed.value is None
    assert codes(parsed) == refused
