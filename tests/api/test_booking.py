"""Booking through the API: slots, book, mine, reschedule, cancel, calendar file, agenda and outcome."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from dev.seed import DemoCounts
from tests.api.test_identity import body, citizen_token, get, post, staff_token
from tests.zones import COUNCIL_ZONE

SERVICE = "residence-certificate"


def slots(client: Client, service: str = SERVICE) -> list[dict[str, Any]]:
    response = client.http.get(f"/services/{service}/slots")
    assert response.status_code == 200, response.body
    return list(body(response)["items"])


def book(client: Client, token: str, start: str, service: str = SERVICE, key: str | None = None, **extra: Any) -> Any:
    payload = {
        "service_id": service,
        "start": start,
        "language": "ca",
        "contact": {"email": "rosa@example.org"},
        **extra,
    }
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return client.http.post("/appointments", body=json.dumps(payload), headers=headers)


def test_slots_are_in_council_time_with_their_offset(client: Client, demo: DemoCounts) -> None:
    items = slots(client)

    assert items
    first = datetime.fromisoformat(items[0]["start"])
    assert first.utcoffset() is not None
    assert items[0]["start"][-6:] in ("+01:00", "+02:00")
    assert all(item["available"] >= 1 for item in items)
    assert first.hour >= 9  # OMAC opens at 09:00 council time


def test_a_citizen_books_sees_reschedules_and_cancels(client: Client, demo: DemoCounts) -> None:
    token = citizen_token(client)
    first, second = slots(client)[0]["start"], slots(client)[5]["start"]

    booked = book(client, token, first)
    assert booked.status_code == 201, booked.body
    appointment = body(booked)
    assert appointment["status"] == "booked"
    assert appointment["start"] == first

    mine = body(get(client, "/appointments", token))["items"]
    assert [a["id"] for a in mine] == [appointment["id"]]

    moved = post(client, f"/appointments/{appointment['id']}/reschedule", {"start": second}, token)
    assert moved.status_code == 200, moved.body
    assert body(moved)["start"] == second

    ics = get(client, f"/appointments/{appointment['id']}/calendar.ics", token)
    assert ics.status_code == 200
    assert ics.headers["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in ics.body
    assert b"TZID=Europe/Madrid" in ics.body

    cancelled = post(client, f"/appointments/{appointment['id']}/cancel", {}, token)
    assert body(cancelled)["status"] == "cancelled"
    # the place is free again
    assert any(s["start"] == second for s in slots(client))


def test_confirmation_email_carries_a_calendar_file(client: Client, demo: DemoCounts) -> None:
    token = citizen_token(client)
    book(client, token, slots(client)[0]["start"])

    message = body(client.http.get("/dev/outbox?to=rosa@example.org"))["items"][0]

    assert message["subject"] == "Cita confirmada: Certificat d'empadronament"
    assert "(hora peninsular)" in message["body"]
    assert message["attachments"][0]["content_type"] == "text/calendar"
    assert "BEGIN:VCALENDAR" in message["attachments"][0]["content"]


def test_the_same_service_cannot_be_booked_twice(client: Client, demo: DemoCounts) -> None:
    token = citizen_token(client)
    times = slots(client)
    assert book(client, token, times[0]["start"]).status_code == 201

    again = book(client, token, times[3]["start"])

    assert again.status_code == 409
    assert body(again)["code"] == "already_booked"


def test_an_idempotent_retry_returns_the_same_appointment(client: Client, demo: DemoCounts) -> None:
    token = citizen_token(client)
    start = slots(client)[0]["start"]

    first = book(client, token, start, key="key-0000000001")
    retry = book(client, token, start, key="key-0000000001")

    assert first.status_code == retry.status_code == 201
    assert body(first)["id"] == body(retry)["id"]
    assert len(body(get(client, "/appointments", token))["items"]) == 1


def test_another_citizens_appointment_is_not_found(client: Client, demo: DemoCounts) -> None:
    owner = citizen_token(client, "12345678Z", "owner@example.org")
    appointment = body(book(client, owner, slots(client)[0]["start"]))
    # same ID number, but the code reached a different address: not the owner
    stranger = citizen_token(client, "12345678Z", "stranger@example.org")
    other = citizen_token(client, "00000000T", "other@example.org")

    for token in (stranger, other):
        for path in ("", "/calendar.ics"):
            response = get(client, f"/appointments/{appointment['id']}{path}", token)
            assert response.status_code == 404
        assert post(client, f"/appointments/{appointment['id']}/cancel", {}, token).status_code == 404
    assert body(get(client, "/appointments", other))["items"] == []


def test_a_service_needing_a_stronger_identification_asks_for_eid(client: Client, demo: DemoCounts) -> None:
    token = citizen_token(client)  # a code: assurance low
    start = slots(client, "direct-debit")[0]["start"]

    response = book(client, token, start, service="direct-debit")

    assert response.status_code == 403
    assert body(response)["code"] == "insufficient_assurance"
    assert body(response)["required_assurance"] == "substantial"


def test_a_time_not_offered_is_refused(client: Client, demo: DemoCounts) -> None:
    token = citizen_token(client)
    night = (datetime.now(COUNCIL_ZONE) + timedelta(days=7)).replace(hour=3, minute=0, second=0, microsecond=0)

    response = book(client, token, night.isoformat())
    assert response.status_code == 409
    assert body(response)["code"] == "slot_unavailable"
    # Outside the days anyone can book (domain/bounds.py): the start is the caller's mistake.
    for start in ("2026-01-01T09:00:00+01:00", "2030-01-07T09:00:00+01:00"):
        response = book(client, token, start)
        assert response.status_code == 422
        assert [e["field"] for e in body(response)["errors"]] == ["start"]


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"service_id": SERVICE, "start": "tomorrow", "contact": {"email": "a@b.example"}}, {"start"}),
        ({"service_id": SERVICE, "start": "2026-12-01T09:00:00", "contact": {"email": "a@b.example"}}, {"start"}),
        ({"service_id": "nope", "start": "2026-12-01T09:00:00+01:00", "contact": {}}, {"service_id"}),
        ({"service_id": SERVICE, "start": "2026-12-01T09:00:00+01:00", "contact": {}}, {"contact"}),
        ({"service_id": SERVICE, "start": "2026-12-01T09:00:00+01:00", "contact": {"email": "x"}}, {"contact.email"}),
    ],
)
def test_bad_bookings_name_the_fields(
    client: Client, demo: DemoCounts, payload: dict[str, Any], fields: set[str]
) -> None:
    response = post(client, "/appointments", payload, citizen_token(client))

    assert response.status_code == 422
    assert {e["field"] for e in body(response)["errors"]} >= fields


def test_an_agent_books_for_a_citizen_sees_the_agenda_and_records_a_no_show(client: Client, demo: DemoCounts) -> None:
    agent = staff_token(client, "agent.omac")
    start = slots(client)[0]["start"]

    booked = book(client, agent, start, citizen={"id_number": "12345678Z", "name": "Rosa Roca"})
    assert booked.status_code == 201, booked.body
    appointment = body(booked)
    day = start[:10]

    agenda = body(get(client, f"/agenda?date={day}", agent))
    assert agenda["office"] == "OMAC"
    row = next(a for a in agenda["items"] if a["id"] == appointment["id"])
    assert row["start"] == start  # the citizen's time, as booked
    assert row["citizen"] == {"id_number_masked": "****678Z", "name": "Rosa Roca"}

    outcome = post(
        client, f"/appointments/{appointment['id']}/outcome", {"outcome": "no_show", "notes": "no answer"}, agent
    )
    assert outcome.status_code == 200, outcome.body
    assert body(outcome)["status"] == "no_show"

    other_office = staff_token(client, "agent.ogat")
    assert get(client, f"/appointments/{appointment['id']}", other_office).status_code == 404
    assert get(client, f"/agenda?date={day}&office=OMAC", other_office).status_code == 404
