"""Capacity through the API (issue 15): schedules, leave and holidays; what happens to booked appointments when the
time under them goes (moved to a free agent, or ``needs_rebooking`` with one-tap change and cancel links); the
supervisor's list; the ≤ 25 in the request / > 25 as a job split, a job run to its end and one resumed after a crash."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.api.commands import holidays_change
from chalicelib.bootstrap import get_container
from chalicelib.domain.appointments import Appointment, Contact, Status
from chalicelib.domain.audit import RequestContext
from chalicelib.domain.errors import Conflict
from dev.seed import DemoCounts
from tests.api.test_booking import book
from tests.api.test_identity import body, citizen_token, get, post, staff_token
from tests.zones import COUNCIL_ZONE

SERVICE = "residence-certificate"
OMAC_AGENTS = ("agent.omac", "agent.omac2")


def put(client: Client, path: str, payload: Any, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    return client.http.put(path, body=json.dumps(payload), headers=headers)


def delete(client: Client, path: str, token: str | None = None) -> Any:
    return client.http.delete(path, headers={"Authorization": f"Bearer {token}"} if token else {})


def both_on_duty_day() -> date:
    """A coming Monday, Wednesday or Friday (both OMAC agents from 09:00 to 14:00), at least two days ahead, that is
    no holiday and no one's exception day."""
    container = get_container()
    today = container.booking.today()
    busy = {e["date"] for name in OMAC_AGENTS for e in (container.staff.schedule_of(name) or {}).get("exceptions", [])}
    day = today + timedelta(days=2)
    while (
        day.isoweekday() not in (1, 3, 5)
        or container.booking.holidays().is_holiday(day, "OMAC")
        or day.isoformat() in busy
    ):
        day += timedelta(days=1)
    return day


def slots_on(client: Client, day: date, service: str = SERVICE) -> list[dict[str, Any]]:
    response = client.http.get(f"/services/{service}/slots?from={day}&to={day}")
    assert response.status_code == 200, response.body
    return list(body(response)["items"])


def agent_of(client: Client, appointment_id: str, supervisor: str) -> str:
    return str(body(get(client, f"/appointments/{appointment_id}", supervisor))["agent"])


@pytest.fixture
def tokens(client: Client, demo: DemoCounts) -> dict[str, str]:
    client.http.get("/services")
    return {
        "admin": staff_token(client, "admin"),
        "supervisor": staff_token(client, "supervisor"),
        "agent": staff_token(client, "agent.omac"),
    }


def test_leave_moves_the_appointment_to_a_free_agent_then_asks_the_citizen_to_choose_another_time(
    client: Client, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, supervisor = tokens["admin"], tokens["supervisor"]
    day = both_on_duty_day()
    slot = next(s for s in slots_on(client, day) if s["available"] == 2)
    booked = book(client, citizen_token(client), slot["start"])
    assert booked.status_code == 201, booked.body
    appointment_id = body(booked)["id"]
    first = agent_of(client, appointment_id, supervisor)
    other = next(a for a in OMAC_AGENTS if a != first)

    # a preview says what would happen and writes nothing
    preview = post(client, f"/admin/staff/{first}/exceptions?preview=true", {"date": str(day), "kind": "leave"}, admin)
    assert preview.status_code == 200, preview.body
    assert body(preview)["affected"] == [
        {
            "appointment_id": appointment_id,
            "start": slot["start"],
            "service_id": SERVICE,
            "action": "reassigned",
            "agent": other,
        }
    ]
    assert agent_of(client, appointment_id, supervisor) == first

    # the first agent's leave: the other agent takes it (the citizen is told nothing)
    leave = post(client, f"/admin/staff/{first}/exceptions", {"date": str(day), "kind": "leave"}, admin)
    assert leave.status_code == 201, leave.body
    assert body(leave)["exception"] == {"date": str(day), "kind": "leave", "intervals": []}
    assert [(a["action"], a.get("agent")) for a in body(leave)["affected"]] == [("reassigned", other)]
    assert agent_of(client, appointment_id, supervisor) == other
    # slots reflect it at once: one agent left that day
    assert all(s["available"] <= 1 for s in slots_on(client, day))

    # the other agent's leave too: nobody is free, the citizen must choose another time
    second = post(client, f"/admin/staff/{other}/exceptions", {"date": str(day), "kind": "leave"}, admin)
    assert second.status_code == 201, second.body
    assert [a["action"] for a in body(second)["affected"]] == ["needs_rebooking"]
    assert slots_on(client, day) == []  # nobody left that day
    shown = body(get(client, f"/appointments/{appointment_id}", supervisor))
    assert shown["status"] == "needs_rebooking"

    listed = body(get(client, "/rebooking?office=OMAC", supervisor))["items"]
    assert [i["appointment_id"] for i in listed] == [appointment_id]
    assert listed[0]["reason"] == "leave"
    assert get(client, "/rebooking?office=OMAC", tokens["agent"]).status_code == 404

    # the message carries a one-tap change link and a cancel link for it (tests/api/test_links.py)
    outbox = body(client.http.get("/dev/outbox?to=rosa@example.org"))["items"]
    message = next(m for m in outbox if "Trieu-ne una altra" in m["body"])  # in the citizen's language (Catalan)
    links = dict(re.findall(r"Per (canviar l'hora|anul·lar la cita): \S+/l#token=([A-Za-z0-9_-]{22})", message["body"]))
    change, cancel = links["canviar l'hora"], links["anul·lar la cita"]
    suspended = get_container().booking.lookup(appointment_id)
    assert suspended is not None
    expires = get_container().links.expiry(suspended, "change")  # the end of the original day + 14 days
    assert expires == datetime.combine(day + timedelta(days=15), datetime.min.time(), tzinfo=COUNCIL_ZONE)

    details = client.http.get(f"/links/{change}")
    assert details.status_code == 200, details.body
    assert body(details)["action"] == "change"
    assert body(details)["appointment"]["id"] == appointment_id
    assert body(details)["appointment"]["status"] == "needs_rebooking"

    later = both_on_duty_day_after(day)
    new_start = slots_on(client, later)[0]["start"]
    moved = post(client, f"/links/{change}", {"start": new_start})
    assert moved.status_code == 200, moved.body
    assert body(moved)["appointment"]["status"] == "booked"
    assert body(moved)["appointment"]["start"] == new_start
    assert body(get(client, "/rebooking?office=OMAC", supervisor))["items"] == []
    container = get_container()
    events = container.audit_events.events_of_day(container.booking.today().isoformat())
    trail = {(e.action, e.actor.id) for e in events if e.subject == f"appointment:{appointment_id}"}
    by_link = f"link:{appointment_id}"
    assert {
        ("appointment.needs_rebooking", "system:capacity"),
        ("appointment.reschedule", by_link),
        ("link.used", by_link),
    } <= trail

    # single use; the cancel link still cancels the appointment it now is, until its new time has passed
    again = post(client, f"/links/{change}", {"start": new_start})
    assert again.status_code == 410
    assert body(again)["code"] == "link_expired"
    assert client.http.get("/links/unknown-link-000000000").status_code == 404
    moved_end = datetime.fromisoformat(body(moved)["appointment"]["end"])
    monkeypatch.setattr(container.links, "_clock", lambda: moved_end + timedelta(minutes=1))
    assert client.http.get(f"/links/{cancel}").status_code == 410
    monkeypatch.undo()
    cancelled = post(client, f"/links/{cancel}", {})
    assert cancelled.status_code == 200, cancelled.body
    assert body(cancelled)["appointment"]["status"] == "cancelled"

    # lifting a leave gives the time back and affects nobody
    lifted = delete(client, f"/admin/staff/{first}/exceptions/{day}", admin)
    assert lifted.status_code == 200, lifted.body
    assert body(lifted) == {"affected": []}
    assert any(s["available"] == 1 for s in slots_on(client, day))


def both_on_duty_day_after(day: date) -> date:
    later = day + timedelta(days=1)
    while later.isoweekday() not in (1, 3, 5) or get_container().booking.holidays().is_holiday(later, "OMAC"):
        later += timedelta(days=1)
    return later


def test_a_supervisor_rebooks_on_the_citizens_behalf_and_a_link_cancel_frees_the_limits(
    client: Client, tokens: dict[str, str]
) -> None:
    admin, supervisor = tokens["admin"], tokens["supervisor"]
    day = both_on_duty_day()
    citizen = citizen_token(client)
    first = next(s["start"] for s in slots_on(client, day) if s["available"] == 2)
    second = next(s["start"] for s in slots_on(client, day, "change-of-address") if s["available"] == 2)
    ids = [body(book(client, citizen, first))["id"]]
    ids.append(body(book(client, citizen, second, service="change-of-address"))["id"])
    for agent in OMAC_AGENTS:
        assert (
            post(client, f"/admin/staff/{agent}/exceptions", {"date": str(day), "kind": "leave"}, admin).status_code
            == 201
        )
    assert {body(get(client, f"/appointments/{i}", supervisor))["status"] for i in ids} == {"needs_rebooking"}

    # still counted in the citizen's limits: the same service cannot be booked again
    other_day = both_on_duty_day_after(day)
    refused = book(client, citizen, slots_on(client, other_day)[0]["start"])
    assert refused.status_code == 409, refused.body

    rebooked = post(
        client, f"/appointments/{ids[0]}/reschedule", {"start": slots_on(client, other_day)[0]["start"]}, supervisor
    )
    assert rebooked.status_code == 200, rebooked.body
    assert body(rebooked)["status"] == "booked"

    cancelled = post(client, f"/appointments/{ids[1]}/cancel", {}, citizen)
    assert cancelled.status_code == 200, cancelled.body
    assert body(cancelled)["status"] == "cancelled"


def test_schedule_put_with_its_version_and_a_stale_one(client: Client, tokens: dict[str, str]) -> None:
    admin = tokens["admin"]
    weekly = {"1": [["09:00", "12:00"]], "3": [["09:00", "14:00"]]}
    read = body(get(client, "/admin/staff/agent.omac2", admin))["schedule"]["version"]
    schedule = {"office": "OMAC", "weekly": weekly, "version": read}
    saved = put(client, "/admin/staff/agent.omac2/schedule", schedule, admin)
    assert saved.status_code == 200, saved.body
    assert body(saved)["schedule"]["version"] == read + 1
    assert body(saved)["schedule"]["weekly"]["1"] == [["09:00", "12:00"]]
    assert body(saved)["schedule"]["weekly"]["2"] == []

    stale = put(client, "/admin/staff/agent.omac2/schedule", schedule, admin)
    assert stale.status_code == 409
    assert body(stale)["code"] == "version_conflict"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"office": "OGAT", "weekly": {}, "version": 1}, "office"),
        ({"office": "OMAC", "weekly": {"8": []}, "version": 1}, "weekly"),
        ({"office": "OMAC", "weekly": {"1": [["14:00", "09:00"]]}, "version": 1}, "weekly.1"),
        ({"office": "OMAC", "weekly": {}, "version": "one"}, "version"),
    ],
)
def test_bad_schedules_name_the_field(client: Client, tokens: dict[str, str], payload: Any, field: str) -> None:
    response = put(client, "/admin/staff/agent.omac/schedule", payload, tokens["admin"])
    assert response.status_code == 422, response.body
    assert field in [e["field"] for e in body(response)["errors"]]


def test_exception_errors(client: Client, tokens: dict[str, str]) -> None:
    admin = tokens["admin"]
    today = get_container().booking.today()
    cases = [
        ({"date": str(today - timedelta(days=1)), "kind": "leave"}, "date"),
        ({"date": str(today + timedelta(days=400)), "kind": "leave"}, "date"),
        ({"date": "2026-13-01", "kind": "leave"}, "date"),
        ({"date": str(today + timedelta(days=3)), "kind": "holiday"}, "kind"),
        ({"date": str(today + timedelta(days=3)), "kind": "extra"}, "intervals"),
        ({"date": str(today + timedelta(days=3)), "kind": "leave", "intervals": [["10:00", "09:00"]]}, "intervals"),
    ]
    for payload, field in cases:
        response = post(client, "/admin/staff/agent.omac/exceptions", payload, admin)
        assert response.status_code == 422, (payload, response.body)
        assert field in [e["field"] for e in body(response)["errors"]], payload

    day = str(today + timedelta(days=3))
    extra = {"date": day, "kind": "extra", "intervals": [["16:00", "18:00"]]}
    assert post(client, "/admin/staff/agent.omac/exceptions", extra, admin).status_code == 201
    twice = post(client, "/admin/staff/agent.omac/exceptions", extra, admin)
    assert twice.status_code == 409
    assert body(twice)["code"] == "already_exists"
    assert post(client, "/admin/staff/nobody.here/exceptions", extra, admin).status_code == 404
    assert delete(client, f"/admin/staff/agent.omac/exceptions/{today + timedelta(days=4)}", admin).status_code == 404
    assert delete(client, f"/admin/staff/agent.omac/exceptions/{day}", admin).status_code == 200


def test_admin_routes_are_hidden_from_others(client: Client, tokens: dict[str, str]) -> None:
    for token in (tokens["agent"], tokens["supervisor"]):
        assert get(client, "/admin/holidays?year=2027", token).status_code == 404
        assert post(client, "/admin/staff/agent.omac/exceptions", {}, token).status_code == 404
    assert get(client, "/admin/holidays?year=2027").status_code == 401


def test_holidays_start_from_the_official_list_and_a_new_one_closes_the_office(
    client: Client, tokens: dict[str, str]
) -> None:
    admin = tokens["admin"]
    day = both_on_duty_day()
    year = day.year
    official = get(client, f"/admin/holidays?year={year}", admin)
    assert official.status_code == 200, official.body
    assert body(official)["version"] == 0
    assert body(official)["items"]
    assert {i["scope"] for i in body(official)["items"]} <= {"national", "regional", "local"}

    booked = book(client, citizen_token(client), slots_on(client, day)[0]["start"])
    assert booked.status_code == 201
    name = {"ca": "Festa local", "es": "Fiesta local", "en": "Local feast"}
    items = [*body(official)["items"], {"date": str(day), "name": name, "scope": "local", "office": "OMAC"}]

    preview = put(client, f"/admin/holidays/{year}?preview=true", {"items": items, "version": 0}, admin)
    assert preview.status_code == 200, preview.body
    assert [a["action"] for a in body(preview)["affected"]] == ["needs_rebooking"]
    assert slots_on(client, day) != []

    saved = put(client, f"/admin/holidays/{year}", {"items": items, "version": 0}, admin)
    assert saved.status_code == 200, saved.body
    assert body(saved)["version"] == 1
    assert [a["action"] for a in body(saved)["affected"]] == ["needs_rebooking"]
    assert slots_on(client, day) == []  # a holiday offers no slots at once
    assert get(client, f"/admin/holidays?year={year}", admin).json_body["version"] == 1

    stale = put(client, f"/admin/holidays/{year}", {"items": items, "version": 0}, admin)
    assert stale.status_code == 409
    assert body(stale)["code"] == "version_conflict"

    bad = put(
        client,
        f"/admin/holidays/{year}",
        {"items": [{"date": f"{year + 1}-01-02", "name": name, "scope": "galactic", "office": "NOPE"}], "version": 1},
        admin,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in body(bad)["errors"]} == {"items.0.date", "items.0.scope", "items.0.office"}
    assert get(client, "/admin/holidays?year=1999", admin).status_code == 422


# --- more than 25: a job ---------------------------------------------------------------------------------------------
def _fill_day(day: date, count: int) -> list[str]:
    """``count`` appointments on ``day`` at OMAC, written straight to the store (one per citizen)."""
    container = get_container()
    booking = container.booking
    service = container.catalogue.get_service(SERVICE)
    slots = booking.availability("OMAC").slots_on(service, day)
    made: list[str] = []
    for slot in slots:
        for agent in slot.agents:
            if len(made) == count:
                return made
            n = len(made)
            appointment = Appointment(
                id=f"00000000-0000-4000-8000-{n:012d}",
                service_id=SERVICE,
                office="OMAC",
                start=slot.start,
                end=slot.end,
                status=Status.BOOKED,
                citizen=f"TEST{n:05d}",
                citizen_contact=None,
                contact=Contact(email=f"c{n}@example.org"),
                language="en",
                agent=agent,
                units=slot.units,
                created_at=datetime.now(COUNCIL_ZONE),
                created_by="staff:test",
            )
            container.booking_store.book(appointment, 3)
            made.append(appointment.id)
    assert len(made) == count
    return made


def _holiday(client: Client, admin: str, day: date) -> Any:
    year = day.year
    current = body(get(client, f"/admin/holidays?year={year}", admin))
    name = {"ca": "Festa", "es": "Fiesta", "en": "Feast"}
    items = [*current["items"], {"date": str(day), "name": name, "scope": "local"}]
    return put(client, f"/admin/holidays/{year}", {"items": items, "version": current["version"]}, admin)


def test_up_to_25_are_handled_in_the_request(client: Client, tokens: dict[str, str]) -> None:
    day = both_on_duty_day()
    ids = _fill_day(day, 25)
    saved = _holiday(client, tokens["admin"], day)
    assert saved.status_code == 200, saved.body
    assert "job" not in body(saved)
    assert sorted(a["appointment_id"] for a in body(saved)["affected"]) == sorted(ids)


def test_more_than_25_run_as_a_job_to_its_end(client: Client, tokens: dict[str, str]) -> None:
    admin = tokens["admin"]
    day = both_on_duty_day()
    ids = _fill_day(day, 26)
    saved = _holiday(client, admin, day)
    assert saved.status_code == 200, saved.body
    job = body(saved)["job"]
    assert job["total"] == 26
    assert body(saved)["affected"] == []
    running = body(get(client, f"/admin/jobs/{job['id']}", admin))
    assert (running["status"], running["done"]) == ("running", 0)

    assert get_container().capacity.run_jobs() == 1  # what the scheduled function runs

    done = body(get(client, f"/admin/jobs/{job['id']}", admin))
    assert (done["status"], done["total"], done["done"]) == ("done", 26, 26)
    assert sorted(a["appointment_id"] for a in done["affected"]) == sorted(ids)
    store = get_container().booking_store
    assert {store.get(i).status for i in ids} == {Status.NEEDS_REBOOKING}  # type: ignore[union-attr]
    assert get(client, "/admin/jobs/00000000-0000-4000-8000-999999999999", admin).status_code == 404


def test_a_job_resumes_after_a_crash_and_redoes_only_what_is_left(
    client: Client, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = tokens["admin"]
    day = both_on_duty_day()
    ids = _fill_day(day, 30)
    job = body(_holiday(client, admin, day))["job"]
    store: Any = get_container().booking_store
    real = store.suspend
    calls = {"n": 0}

    def crashing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 11:
            raise RuntimeError("the worker died")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "suspend", crashing)
    with pytest.raises(RuntimeError):
        get_container().capacity.run_job(job["id"])
    midway = body(get(client, f"/admin/jobs/{job['id']}", admin))
    assert (midway["status"], midway["done"]) == ("running", 10)

    monkeypatch.setattr(store, "suspend", real)
    get_container().capacity.run_jobs()

    done = body(get(client, f"/admin/jobs/{job['id']}", admin))
    assert (done["status"], done["done"]) == ("done", 30)
    handled = [a["appointment_id"] for a in done["affected"]]
    assert sorted(handled) == sorted(ids)  # each once
    assert {store.get(i).status for i in ids} == {Status.NEEDS_REBOOKING}


def test_a_job_that_keeps_failing_is_marked_failed_after_5_runs(
    client: Client, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = tokens["admin"]
    day = both_on_duty_day()
    _fill_day(day, 26)
    job = body(_holiday(client, admin, day))["job"]
    store: Any = get_container().booking_store

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the store is broken")

    monkeypatch.setattr(store, "suspend", broken)
    for _ in range(4):
        assert get_container().capacity.run_jobs() == 0
        still = body(get(client, f"/admin/jobs/{job['id']}", admin))
        assert still["status"] == "running"
    get_container().capacity.run_jobs()

    failed = body(get(client, f"/admin/jobs/{job['id']}", admin))
    assert (failed["status"], failed["done"]) == ("failed", 0)
    get_container().capacity.run_jobs()  # no longer taken up
    assert body(get(client, f"/admin/jobs/{job['id']}", admin))["status"] == "failed"


def test_a_disabled_service_cancels_its_appointments_with_a_message_saying_why(
    client: Client, tokens: dict[str, str]
) -> None:
    day = both_on_duty_day()
    booked = book(client, citizen_token(client), slots_on(client, day)[0]["start"])
    appointment_id = body(booked)["id"]
    handled = get_container().capacity.service_disabled(SERVICE, False, RequestContext("test"))
    assert [(a.appointment_id, a.action) for a in handled.affected] == [(appointment_id, "cancelled")]
    outbox = body(client.http.get("/dev/outbox?to=rosa@example.org"))["items"]
    assert any("no longer" in m["body"] or "ja no" in m["body"] for m in outbox)


def test_two_admins_saving_the_same_version_one_wins_the_other_is_told(client: Client, tokens: dict[str, str]) -> None:
    import threading

    container = get_container()
    admin = container.sessions.authenticate(f"Bearer {tokens['admin']}")
    year = container.booking.today().year + 2
    name = {"ca": "Festa", "es": "Fiesta", "en": "Feast"}
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(day: str) -> None:
        barrier.wait(timeout=30)
        body = {"items": [{"date": day, "name": name, "scope": "local"}], "version": 0}
        try:
            asked = holidays_change(body, year=year, offices=["OMAC", "OGAT"])
            container.capacity.save_holidays(admin, year, asked, False, RequestContext("race"))
            outcomes.append("saved")
        except Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=save, args=(f"{year}-0{m}-01",)) for m in (3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["saved", "version_conflict"]
    assert body(get(client, f"/admin/holidays?year={year}", tokens["admin"]))["version"] == 1


def test_a_job_another_run_holds_is_left_to_it_until_its_lease_ends(client: Client, tokens: dict[str, str]) -> None:
    admin = tokens["admin"]
    day = both_on_duty_day()
    _fill_day(day, 26)
    job = body(_holiday(client, admin, day))["job"]
    state = get_container().capacity_state
    now = int(datetime.now(COUNCIL_ZONE).timestamp())
    assert state.claim_job(job["id"], now, now + 240)  # a run that is still going

    get_container().capacity.run_jobs()
    assert body(get(client, f"/admin/jobs/{job['id']}", admin))["done"] == 0

    assert state.claim_job(job["id"], now + 300, now - 1)  # that run's lease has ended
    get_container().capacity.run_jobs()
    assert body(get(client, f"/admin/jobs/{job['id']}", admin))["status"] == "done"


def test_a_disabled_services_many_appointments_are_cancelled_by_a_job(client: Client, tokens: dict[str, str]) -> None:
    day = both_on_duty_day()
    ids = _fill_day(day, 26)
    container = get_container()

    handled = container.capacity.service_disabled(SERVICE, False, RequestContext("test"))

    assert handled.affected == []
    assert handled.job is not None
    assert handled.job["total"] == 26
    container.capacity.run_jobs()
    done = body(get(client, f"/admin/jobs/{handled.job['id']}", tokens["admin"]))
    assert (done["kind"], done["status"], done["done"]) == ("cancel_service", "done", 26)
    assert {a["action"] for a in done["affected"]} == {"cancelled"}
    store: Any = container.booking_store
    assert {store.get(i).status for i in ids} == {Status.CANCELLED}
    assert slots_on(client, day)  # the time is free again
