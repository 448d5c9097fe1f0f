"""One-tap links through the API (issue 16): each bound to one appointment and one action; refused when reused,
expired, after a cancel, tampered with or malformed; never telling more than its appointment; acting alone only for
low-assurance services; a join link's session reaching nothing but its appointment's call."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, time, timedelta
from typing import Any, cast

import pytest
from chalice.test import Client

from app import app
from chalicelib.bootstrap import get_container
from chalicelib.domain.appointments import Appointment
from chalicelib.services.capacity import CapacityStore
from dev.calls_now import DemoCall, seed_calls_now
from dev.seed import DemoCounts
from tests.api.test_booking import book
from tests.api.test_calls import register_node
from tests.api.test_capacity import both_on_duty_day, slots_on
from tests.api.test_identity import body, citizen_token, eid_token, get, post

LINK = re.compile(r"/l#token=([A-Za-z0-9_-]{22})")


def appointment(appointment_id: str) -> Appointment:
    found = get_container().booking.lookup(appointment_id)
    assert found is not None
    return found


def token_of(url: str) -> str:
    match = LINK.search(url)
    assert match, url
    return match.group(1)


def issue(appointment_id: str, action: str) -> str:
    return token_of(get_container().links.issue(appointment(appointment_id), action))


def use(client: Client, token: str, payload: dict[str, Any] | None = None, bearer: str | None = None) -> Any:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {bearer}"} if bearer else {})}
    return client.http.post(f"/links/{token}", body=json.dumps(payload or {}), headers=headers)


def look(client: Client, token: str, bearer: str | None = None) -> Any:
    return client.http.get(f"/links/{token}", headers={"Authorization": f"Bearer {bearer}"} if bearer else {})


def booked(client: Client, service: str = "residence-certificate", **extra: Any) -> tuple[str, str]:
    """A new appointment of ``service`` two or more days ahead: (its id, the citizen's token)."""
    citizen = citizen_token(client)
    day = both_on_duty_day()
    response = book(client, citizen, slots_on(client, day, service)[0]["start"], service=service, **extra)
    assert response.status_code == 201, response.body
    return str(body(response)["id"]), citizen


@pytest.fixture
def ready(client: Client, demo: DemoCounts) -> Client:
    client.http.get("/services")
    return client


def test_the_confirmation_carries_join_change_and_cancel_and_its_cancel_link_cancels_once(ready: Client) -> None:
    client = ready
    appointment_id, citizen = booked(client, contact={"email": "rosa@example.org", "phone": "+34600111222"})
    email = body(client.http.get("/dev/outbox?to=rosa@example.org"))["items"][0]["body"]
    lines = [line for line in email.splitlines() if LINK.search(line)]
    assert len(lines) == 3  # join, change, cancel: one a line
    cancel = token_of(lines[2])
    sms = body(client.http.get("/dev/outbox?to=%2B34600111222"))["items"][0]["body"]
    assert LINK.search(sms)  # the SMS: its cancel link

    shown = look(client, cancel)
    assert shown.status_code == 200, shown.body
    assert body(shown)["action"] == "cancel"

    done = use(client, cancel)
    assert done.status_code == 200, done.body
    assert body(done)["appointment"]["status"] == "cancelled"
    assert body(get(client, f"/appointments/{appointment_id}", citizen))["status"] == "cancelled"

    again = use(client, cancel)
    assert again.status_code == 410, again.body
    assert body(again)["code"] == "link_expired"
    # after the cancel, every link of the appointment is refused: the change one and the SMS's
    assert use(client, token_of(lines[1]), {"start": "2030-01-07T09:00:00+01:00"}).status_code == 410
    assert look(client, token_of(sms)).status_code == 410
    container = get_container()
    events = container.audit_events.events_of_day(container.booking.today().isoformat())
    used = [e for e in events if e.action == "link.used"]
    assert [e.details["action"] for e in used] == ["cancel"]
    assert used[0].actor.id == f"link:{appointment_id}"  # no sign-in: named by the appointment, not the person


def test_a_link_tells_only_its_appointments_service_time_and_status(ready: Client) -> None:
    client = ready
    appointment_id, _ = booked(client)
    shown = look(client, issue(appointment_id, "change"))

    assert shown.status_code == 200, shown.body
    assert shown.headers["Cache-Control"] == "no-store"
    answer = body(shown)
    assert set(answer) == {"action", "appointment", "min_assurance", "call_window"}
    assert set(answer["appointment"]) == {"id", "service", "start", "end", "status"}
    assert answer["appointment"]["id"] == appointment_id
    assert answer["appointment"]["service"]["id"] == "residence-certificate"
    text = json.dumps(answer)
    for personal in ("12345678Z", "rosa@example.org", "citizen", "contact", 'name": "Rosa'):
        assert personal not in text


def test_a_link_acts_on_its_own_appointment_and_no_other(ready: Client) -> None:
    client = ready
    mine, citizen = booked(client)
    other, _ = booked(client, service="change-of-address")

    done = use(client, issue(mine, "cancel"))

    assert done.status_code == 200, done.body
    assert body(done)["appointment"]["id"] == mine
    assert body(get(client, f"/appointments/{other}", citizen))["status"] == "booked"


def test_change_moves_the_appointment_once(ready: Client) -> None:
    client = ready
    appointment_id, citizen = booked(client)
    day = both_on_duty_day()
    later = slots_on(client, day)[-1]["start"]
    token = issue(appointment_id, "change")

    assert use(client, token, {"start": "tomorrow"}).status_code == 422  # a malformed time: the link is not spent
    moved = use(client, token, {"start": later})
    assert moved.status_code == 200, moved.body
    assert body(get(client, f"/appointments/{appointment_id}", citizen))["start"] == later
    assert use(client, token, {"start": slots_on(client, day)[0]["start"]}).status_code == 410


def test_tampered_unknown_and_malformed_tokens(ready: Client) -> None:
    client = ready
    appointment_id, _ = booked(client)
    token = issue(appointment_id, "cancel")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    assert look(client, tampered).status_code == 404
    assert use(client, tampered).status_code == 404
    malformed = look(client, "not a token!")
    assert malformed.status_code == 422
    assert body(malformed)["errors"][0]["field"] == "token"
    assert look(client, token + "x").status_code == 422
    assert body(get(client, f"/appointments/{appointment_id}", citizen_token(client)))["status"] == "booked"


def test_an_expired_link_is_refused(ready: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    client = ready
    appointment_id, _ = booked(client)
    token = issue(appointment_id, "cancel")
    after = appointment(appointment_id).end + timedelta(seconds=1)
    monkeypatch.setattr(get_container().links, "_clock", lambda: after)

    assert look(client, token).status_code == 410
    assert body(use(client, token))["code"] == "link_expired"


def test_a_substantial_service_needs_the_same_persons_eid_with_the_link(ready: Client) -> None:
    client = ready
    eid = eid_token("12345678Z")
    day = both_on_duty_day()
    while not slots_on(client, day, "tax-information"):
        day += timedelta(days=1)
    response = book(client, eid, slots_on(client, day, "tax-information")[0]["start"], service="tax-information")
    assert response.status_code == 201, response.body
    token = issue(body(response)["id"], "cancel")
    check = issue(body(response)["id"], "preflight")

    assert body(look(client, token))["min_assurance"] == "substantial"  # shown, so the page can ask for eID
    # a pre-flight link tells where to measure only with the same person's eID (the TURN credentials are theirs)
    assert body(look(client, check))["check"]["probe"] is None
    assert body(look(client, check, bearer=eid_token("99584529A")))["check"]["probe"] is None
    assert body(look(client, check, bearer=eid))["check"]["probe"] is not None
    alone = use(client, token)
    assert alone.status_code == 403
    assert body(alone)["code"] == "insufficient_assurance"
    assert use(client, token, bearer=citizen_token(client)).status_code == 403  # a code sign-in is not enough
    assert use(client, token, bearer=eid_token("99584529A")).status_code == 404  # someone else's eID
    done = use(client, token, bearer=eid)
    assert done.status_code == 200, done.body
    assert body(done)["appointment"]["status"] == "cancelled"


def test_an_appointment_waiting_for_a_new_time_is_changed_or_cancelled_by_link_with_eid_above_low(
    ready: Client,
) -> None:
    """The office's capacity went (tests/api/test_capacity.py sends the message): its change and cancel links act
    on the ``needs_rebooking`` appointment until the end of its day + 14 days, with the same person's eID first."""
    client = ready
    eid = eid_token("12345678Z")
    day = both_on_duty_day()
    while not slots_on(client, day, "tax-information"):
        day += timedelta(days=1)
    response = book(client, eid, slots_on(client, day, "tax-information")[0]["start"], service="tax-information")
    assert response.status_code == 201, response.body
    appointment_id = body(response)["id"]
    container = get_container()
    store = cast(CapacityStore, container.booking_store)  # what the capacity rules do when nobody is free
    store.suspend(appointment(appointment_id), container.booking.now().isoformat(), "leave")
    suspended = appointment(appointment_id)
    change, cancel, join = (issue(appointment_id, action) for action in ("change", "cancel", "join"))

    local = suspended.start.astimezone(container.booking.zone)
    until = datetime.combine(local.date() + timedelta(days=15), time(0, 0), tzinfo=container.booking.zone)
    assert container.links.expiry(suspended, "cancel") == until  # the end of its day + 14 days
    shown = body(look(client, change))
    assert (shown["action"], shown["appointment"]["status"]) == ("change", "needs_rebooking")
    assert look(client, join).status_code == 410  # no call for an appointment without a time
    alone = use(client, change, {"start": slots_on(client, day, "tax-information")[0]["start"]})
    assert alone.status_code == 403
    assert body(alone)["code"] == "insufficient_assurance"
    assert use(client, cancel, bearer=eid_token("99584529A")).status_code == 404  # someone else's eID
    done = use(client, cancel, bearer=eid)
    assert done.status_code == 200, done.body
    assert body(done)["appointment"]["status"] == "cancelled"
    assert look(client, change).status_code == 410


# --- join ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def now_calls(demo: DemoCounts) -> dict[str, DemoCall]:
    return {c.office: c for c in seed_calls_now("dev", os.environ["AWS_REGION"], None)}


def test_join_waits_for_the_call_window(ready: Client) -> None:
    client = ready
    appointment_id, _ = booked(client)
    token = issue(appointment_id, "join")

    assert look(client, token).status_code == 200
    early = use(client, token)
    assert early.status_code == 409
    assert body(early)["code"] == "call_not_open"
    assert "opens_at" in body(early)


def test_join_opens_a_session_for_that_call_only_and_is_reusable(ready: Client, now_calls: dict[str, DemoCall]) -> None:
    client = ready
    register_node("node-a")
    omac = now_calls["OMAC"]
    token = issue(omac.appointment_id, "join")

    first = use(client, token)
    assert first.status_code == 200, first.body
    session = body(first)["result"]["session"]
    scoped = session["access_token"]
    assert 0 < session["expires_in"] <= 3 * 3600
    assert use(client, token).status_code == 200  # a reload or a reconnection: the link works again

    assert get(client, f"/appointments/{omac.appointment_id}", scoped).status_code == 200
    joined = post(client, f"/appointments/{omac.appointment_id}/call", {}, scoped)
    assert joined.status_code == 200, joined.body
    assert body(joined)["role"] == "citizen"

    # the citizen signed in with their own session needs no other one
    own = citizen_token(client, omac.id_number, omac.email)
    assert body(use(client, token, bearer=own))["result"]["session"] is None


def test_a_join_links_session_reaches_nothing_else(ready: Client, now_calls: dict[str, DemoCall]) -> None:
    """Every route of the app, asked with the session a join link opened: only its appointment (read, join the
    call, its place in the queue while waiting) and signing out answer; everything else is as if it did not exist,
    or as it is for anyone (public)."""
    client = ready
    omac, ogat = now_calls["OMAC"], now_calls["OGAT"]
    scoped = body(use(client, issue(omac.appointment_id, "join")))["result"]["session"]["access_token"]
    allowed = {
        ("GET", "/appointments/{appointment_id}"),
        ("POST", "/appointments/{appointment_id}/call"),
        ("GET", "/appointments/{appointment_id}/queue"),
        ("POST", "/auth/logout"),
    }
    checked = 0
    for path, entry in sorted(app.routes.items()):
        for method in sorted(entry):
            if (method, path) in allowed or path.startswith("/dev/"):
                continue
            for appointment_id in (omac.appointment_id, ogat.appointment_id):
                url = re.sub(r"\{appointment_id\}", appointment_id, path)
                url = re.sub(r"\{[a-z_]+\}", "x", url)
                headers = {"Authorization": f"Bearer {scoped}", "Content-Type": "application/json"}
                anonymous = client.http.request(method, url, body=b"{}", headers={"Content-Type": "application/json"})
                asked = client.http.request(method, url, body=b"{}", headers=headers)
                if anonymous.status_code == 401 and body(anonymous)["code"] == "invalid_token":  # for signed-in callers
                    assert asked.status_code == 404, (method, url, asked.body)
                    checked += 1
                else:  # public: the same answer as for anyone
                    assert asked.status_code == anonymous.status_code, (method, url, asked.body)
    assert checked > 40
    # and its own appointment only: the other office's one is hidden
    assert get(client, f"/appointments/{ogat.appointment_id}", scoped).status_code == 404
    assert get(client, "/appointments", scoped).status_code == 404
