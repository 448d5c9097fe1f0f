"""The waiting room's queue through the API (issue 16): place and estimated wait from the agendas and call states, the
"waiting for anyone" list, an agent taking a citizen (two at once: exactly one gets them), a supervisor's hand-over."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_container
from chalicelib.domain.scheduling import unit_key
from dev.calls_now import DEMO_CALLS, DemoCall, seed_calls_now
from dev.seed import DemoCounts, padron
from tests.api.test_calls import event, join, register_node, report
from tests.api.test_identity import body, citizen_token, get, post, staff_token

SERVICE = "residence-certificate"


def _people(count: int) -> list[tuple[str, str]]:
    """(ID number, name) of adults of the demo padrón no other appointment of this module is for."""
    taken = {c[2] for c in DEMO_CALLS}
    adults = [p for p in padron() if p["birth_date"] < "2000-01-01" and p["id_number"] not in taken]
    return [(p["id_number"], f"{p.get('name', 'Demo')}") for p in adults[:count]]


def book_now(agents: list[str]) -> list[DemoCall]:
    """One appointment per agent named, started 5 minutes ago (each for another citizen of the padrón)."""
    calls = tuple(
        ("OMAC", SERVICE, id_number, name, f"q{n}@example.org", agent)
        for n, ((id_number, name), agent) in enumerate(zip(_people(len(agents)), agents, strict=True))
    )
    return seed_calls_now("dev", os.environ["AWS_REGION"], None, calls=calls)


class Room:
    """A citizen's appointment in the waiting room, as the media node reports it."""

    def __init__(self, client: Client, call: DemoCall) -> None:
        self.client, self.call = client, call
        self.token = citizen_token(client, call.id_number, call.email)
        joined = join(client, call.appointment_id, self.token)
        assert joined.status_code == 200, joined.body
        self.room = body(joined)

    def _report(self, kind: str) -> None:
        extra = {"participant_id": self.room["participant_id"], "role": "citizen"}
        assert report(self.client, event(self.room, self.call.appointment_id, kind, **extra)).status_code == 204

    def wait(self) -> Room:
        self._report("waiting")
        return self

    def admit(self) -> Room:
        self._report("admitted")
        return self

    def end(self) -> None:
        self._report("ended")

    def queue(self, token: str | None = None) -> dict[str, Any]:
        answer = get(self.client, f"/appointments/{self.call.appointment_id}/queue", token or self.token)
        assert answer.status_code == 200, answer.body
        return body(answer)


@pytest.fixture
def node(demo: DemoCounts) -> None:
    register_node("node-a")


def test_a_waiting_citizen_sees_their_place_and_a_wait_that_is_never_now_while_the_agent_is_busy(
    client: Client, node: None
) -> None:
    # GIVEN agent.omac in a call with one citizen, and two more waiting for them
    in_call, first, second = (Room(client, c) for c in book_now(["agent.omac"] * 3))
    in_call.wait().admit()
    first.wait()
    second.wait()

    # WHEN each asks where they stand
    mine, behind, attended = first.queue(), second.queue(), in_call.queue()

    # THEN the first is next, the second behind one person, both with a wait of at least a minute
    assert (mine["position"], mine["ahead"], mine["agent_status"]) == (1, 0, "in_call")
    assert (behind["position"], behind["ahead"]) == (2, 1)
    assert mine["agent_name"] == "Laia Font Serra"
    assert 60 <= mine["estimated_wait_s"] < behind["estimated_wait_s"]
    assert (attended["position"], attended["estimated_wait_s"]) == (0, 0)
    # The agent sees the same queue.
    assert first.queue(staff_token(client, "agent.omac"))["position"] == 1


def test_the_queue_is_hidden_from_whoever_may_not_see_the_appointment(client: Client, node: None) -> None:
    (call,) = book_now(["agent.omac"])

    assert (
        get(client, f"/appointments/{call.appointment_id}/queue", staff_token(client, "agent.ogat")).status_code == 404
    )
    other = citizen_token(client, "12345678Z", "someone@example.org")
    assert get(client, f"/appointments/{call.appointment_id}/queue", other).status_code == 404


def _overflow(client: Client, token: str) -> dict[str, Any]:
    answer = get(client, "/queue/overflow?office=OMAC", token)
    assert answer.status_code == 200, answer.body
    return body(answer)


def _third_agent() -> str:
    """Another agent of OMAC (created by the administrators' use case), signed in."""
    from chalicelib.api.commands import new_staff
    from chalicelib.domain.audit import RequestContext
    from chalicelib.services.catalogue_admin import system_admin

    container = get_container()
    fields = {"username": "agent.omac3", "name": "Aina Serra", "email": "aina@example.org", "roles": ["agent"]}
    container.staff_admin.create(
        system_admin("test"),
        new_staff({**fields, "office": "OMAC"}, offices=frozenset({"OMAC", "OGAT"})),
        RequestContext("test"),
        "ca",
    )
    account = container.staff.get("agent.omac3")
    assert account is not None
    return container.sessions.issue_staff(account).token


def test_a_free_agent_takes_a_citizen_waiting_past_the_limit_and_the_citizen_sees_who(
    client: Client, node: None
) -> None:
    # GIVEN agent.omac busy with one citizen while another has waited past the office's 5 minutes
    in_call, waiting = (Room(client, c) for c in book_now(["agent.omac", "agent.omac"]))
    in_call.wait().admit()
    waiting.wait()
    free, busy = staff_token(client, "agent.omac2"), staff_token(client, "agent.omac")

    # WHEN the free agent looks at the "waiting for anyone" list and takes them
    listed = _overflow(client, free)
    taken = post(client, f"/appointments/{waiting.call.appointment_id}/take", {}, free)

    # THEN the citizen was listed, the free agent could take them and did; the busy one could not
    assert [i["appointment_id"] for i in listed["items"]] == [waiting.call.appointment_id]
    assert listed["items"][0]["agent"] == "agent.omac"
    assert listed["can_take"] is True
    assert _overflow(client, busy)["can_take"] is False
    assert taken.status_code == 200, taken.body
    assert body(taken)["agent"] == "agent.omac2"
    # The citizen's waiting room names who will attend them; the list is empty; the trail has it.
    assert waiting.queue()["agent_name"] == "Pau Vidal Roca"
    assert _overflow(client, free)["items"] == []
    again = post(client, f"/appointments/{waiting.call.appointment_id}/take", {}, free)
    assert (again.status_code, body(again)["code"]) == (409, "already_taken")


def test_two_agents_taking_at_once_one_gets_the_citizen_the_other_is_told(client: Client, node: None) -> None:
    in_call, waiting = (Room(client, c) for c in book_now(["agent.omac", "agent.omac"]))
    in_call.wait().admit()
    waiting.wait()
    tokens = [staff_token(client, "agent.omac2"), _third_agent()]
    results: list[Any] = [None, None]
    barrier = threading.Barrier(2)

    def take(i: int) -> None:
        barrier.wait()
        results[i] = post(client, f"/appointments/{waiting.call.appointment_id}/take", {}, tokens[i])

    threads = [threading.Thread(target=take, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert sorted(r.status_code for r in results) == [200, 409]
    loser = next(r for r in results if r.status_code == 409)
    assert body(loser)["code"] == "already_taken"
    winner = body(next(r for r in results if r.status_code == 200))["agent"]
    stored = get_container().booking_store.get(waiting.call.appointment_id)
    assert stored is not None
    assert stored.agent == winner


def test_an_agent_with_an_appointment_of_their_own_now_may_not_take_but_one_whose_own_call_ended_may(
    client: Client, node: None
) -> None:
    in_call, waiting, own = (Room(client, c) for c in book_now(["agent.omac", "agent.omac", "agent.omac2"]))
    in_call.wait().admit()
    waiting.wait()
    taker = staff_token(client, "agent.omac2")

    refused = post(client, f"/appointments/{waiting.call.appointment_id}/take", {}, taker)
    assert (refused.status_code, body(refused)["code"]) == (409, "agent_not_free")
    assert _overflow(client, taker)["can_take"] is False

    own.wait().admit().end()
    assert _overflow(client, taker)["can_take"] is True
    assert post(client, f"/appointments/{waiting.call.appointment_id}/take", {}, taker).status_code == 200


def test_nobody_takes_a_citizen_whose_own_agent_is_free(client: Client, node: None) -> None:
    (waiting,) = (Room(client, c) for c in book_now(["agent.omac"]))
    waiting.wait()

    answer = post(client, f"/appointments/{waiting.call.appointment_id}/take", {}, staff_token(client, "agent.omac2"))

    assert (answer.status_code, body(answer)["code"]) == (409, "already_taken")


def test_a_supervisor_hands_a_waiting_citizen_to_a_named_agent(client: Client, node: None) -> None:
    in_call, waiting = (Room(client, c) for c in book_now(["agent.omac", "agent.omac"]))
    in_call.wait().admit()
    waiting.wait()
    supervisor = staff_token(client, "supervisor")
    path = f"/appointments/{waiting.call.appointment_id}/hand-over"

    listed = _overflow(client, supervisor)
    unknown = post(client, path, {"agent": "agent.ogat"}, supervisor)
    handed = post(client, path, {"agent": "agent.omac2"}, supervisor)

    assert {a["username"]: a["status"] for a in listed["agents"]} == {"agent.omac": "in_call", "agent.omac2": "free"}
    assert unknown.status_code == 422
    assert body(unknown)["errors"][0]["field"] == "agent"
    assert handed.status_code == 200, handed.body
    assert body(handed)["agent"] == "agent.omac2"
    day = get_container().booking.today().isoformat()
    handed_over = [e for e in get_container().audit_events.events_of_day(day) if e.action == "appointment.handed_over"]
    assert [e.details["agent"] for e in handed_over] == ["agent.omac2"]


def _book_with_units(agent: str, person: tuple[str, str], email: str, units: int) -> DemoCall:
    """An appointment started 5 minutes ago holding ``units`` of the agent's 5-minute units (as a booking does)."""
    from chalicelib.auth.codes import contact_digest
    from chalicelib.domain.appointments import Appointment, Contact, Status
    from chalicelib.domain.catalogue import OfficeId
    from tests.api.test_procedures import PEPPER

    container = get_container()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = (now - timedelta(minutes=now.minute % 5 + 5)).astimezone(container.booking.zone)
    appointment = Appointment(
        id=str(uuid.uuid4()),
        service_id=SERVICE,
        office=OfficeId("OMAC"),
        start=start,
        end=start + timedelta(minutes=30),
        status=Status.BOOKED,
        citizen=person[0],
        citizen_contact=contact_digest(PEPPER, email),
        contact=Contact(email=email),
        language="ca",
        agent=agent,
        units=tuple(unit_key(start + timedelta(minutes=5 * k)) for k in range(units)),
        created_at=now,
        created_by="staff:test",
        citizen_name=person[1],
    )
    container.booking_store.book(appointment, max_active=100)
    return DemoCall("OMAC", SERVICE, person[0], person[1], email, agent, appointment.id, start)


def test_a_taken_appointment_moves_with_its_units_and_the_takers_used_ones_stay_with_their_own(
    client: Client, node: None
) -> None:
    # GIVEN a citizen of agent.omac holding six units, and agent.omac2's own appointment at the same time, holding the
    # first three, whose call has ended
    _, waiting_person, own_person = _people(3)  # the first is book_now's
    in_call = Room(client, book_now(["agent.omac"])[0])
    waiting = Room(client, _book_with_units("agent.omac", waiting_person, "w6@example.org", 6))
    own = Room(client, _book_with_units("agent.omac2", own_person, "o3@example.org", 3))
    in_call.wait().admit()
    waiting.wait()
    own.wait().admit().end()

    # WHEN agent.omac2 takes the waiting citizen
    taken = post(client, f"/appointments/{waiting.call.appointment_id}/take", {}, staff_token(client, "agent.omac2"))

    # THEN the appointment holds agent.omac2's last three units; agent.omac's six are free; the own three stay
    assert taken.status_code == 200, taken.body
    store = get_container().booking_store
    moved = store.get(waiting.call.appointment_id)
    assert moved is not None
    first, last = moved.start, moved.start + timedelta(minutes=25)
    held = store.taken("OMAC", unit_key(first), unit_key(last))
    assert {agent for _, agent in held} == {"agent.omac2"}
    assert len(held) == 6
    assert moved.units == tuple(unit_key(first + timedelta(minutes=5 * k)) for k in (3, 4, 5))


def test_a_take_read_before_another_agents_landed_is_told_already_taken(client: Client, node: None) -> None:
    """The loser of a race may read the appointment before the winner's take and the day after it: it is told that
    someone else has the citizen (``already_taken``), never that the citizen stopped waiting."""
    from chalicelib.domain.audit import Actor, RequestContext
    from chalicelib.domain.errors import Conflict

    in_call, waiting = (Room(client, c) for c in book_now(["agent.omac", "agent.omac"]))
    in_call.wait().admit()
    waiting.wait()
    late = _third_agent()  # signed in: agent.omac3 exists
    assert late
    container = get_container()
    read_before = container.booking_store.get(waiting.call.appointment_id)
    assert read_before is not None
    assert read_before.agent == "agent.omac"

    first = post(client, f"/appointments/{waiting.call.appointment_id}/take", {}, staff_token(client, "agent.omac2"))
    assert first.status_code == 200, first.body

    with pytest.raises(Conflict) as refused:
        container.queue._move(read_before, "agent.omac3", Actor.system("t"), "appointment.taken", RequestContext("t"))
    assert refused.value.code == "already_taken"
