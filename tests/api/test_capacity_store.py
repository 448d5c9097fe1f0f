"""The booking store's capacity writes on DynamoDB (moto): a move to another agent and a needs_rebooking mark are
each one transaction, the longest service's included, and a refused one writes nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain.appointments import Status
from chalicelib.domain.capacity import MAX_SERVICE_MINUTES, MAX_UNITS, TRANSACTION_ITEMS, move_items
from chalicelib.domain.errors import Conflict
from tests.api.test_booking_store import ROSA, Booking, appointment, at, dynamo_store, held, units


@pytest.fixture
def dynamo_booking(aws: None) -> Booking:
    return Booking(dynamo_store())


def longest(agent: str = "laia") -> Any:
    """The longest service a catalogue may hold (duration + buffer = 240 minutes), starting off the 5-minute grid."""
    a = appointment("09:03", duration=MAX_SERVICE_MINUTES - 5, buffer=5, agent=agent)
    start = at(a.start.date(), "09:00")  # the units start at the grid's 09:00: 49 of them
    return replace(a, units=units(start, MAX_SERVICE_MINUTES + 5))


def test_the_longest_service_moves_to_another_agent_in_one_transaction(dynamo_booking: Booking) -> None:
    a = longest()
    assert len(a.units) == MAX_UNITS
    assert move_items(len(a.units)) <= TRANSACTION_ITEMS
    store: Any = dynamo_booking.store
    store.book(a, 3)

    moved = store.reassign(a, "pau")

    assert (moved.agent, moved.version) == ("pau", 2)
    assert dynamo_booking.taken(a) == held("pau", a)
    assert store.get(a.id).agent == "pau"


def test_a_move_to_a_busy_agent_is_refused_whole(dynamo_booking: Booking) -> None:
    store: Any = dynamo_booking.store
    a, b = appointment("09:00", agent="laia"), appointment("09:10", citizen="99301193G", agent="pau")
    store.book(a, 3)
    store.book(b, 3)

    with pytest.raises(Conflict) as refused:
        store.reassign(a, "pau")

    assert refused.value.code == "slot_unavailable"
    assert dynamo_booking.taken(a, b) == held("laia", a) | held("pau", b)


def test_needs_rebooking_frees_the_units_keeps_the_limits_and_a_cancel_frees_them(dynamo_booking: Booking) -> None:
    store: Any = dynamo_booking.store
    a = longest()
    store.book(a, 3)

    waiting = store.suspend(a, "2026-11-30T10:00:00+01:00", "leave")

    assert (waiting.status, waiting.units) == (Status.NEEDS_REBOOKING, ())
    assert dynamo_booking.taken(a) == set()
    assert dynamo_booking.active_count(ROSA) == 1
    assert [x.id for x in store.needing_rebooking("OMAC")] == [a.id]
    stored = store.get(a.id)
    assert stored.rebooking == {"since": "2026-11-30T10:00:00+01:00", "reason": "leave"}
    with pytest.raises(Conflict):  # a stale version
        store.suspend(a, "x", "leave")

    store.cancel(stored)

    assert store.get(a.id).status is Status.CANCELLED
    assert dynamo_booking.active_count(ROSA) == 0
    assert store.needing_rebooking("OMAC") == []


def test_a_needs_rebooking_appointment_is_booked_again_by_a_reschedule(dynamo_booking: Booking) -> None:
    store: Any = dynamo_booking.store
    a = appointment("09:00")
    store.book(a, 3)
    waiting = store.suspend(a, "2026-11-30T10:00:00+01:00", "holiday")
    start = at(a.start.date(), "11:00")
    new = waiting.moved(start, start + (a.end - a.start), "pau", units(start, len(a.units) * 5))

    store.reschedule(waiting, new)

    stored = store.get(a.id)
    assert (stored.status, stored.rebooking) == (Status.BOOKED, None)
    assert dynamo_booking.taken(new) == held("pau", new)
    assert store.needing_rebooking("OMAC") == []
    assert dynamo_booking.active_count(ROSA) == 1
