"""Contract of the booking store, run on the DynamoDB adapter (moto) and on the in-memory fake alike: each change is
one transaction, conditional failures become domain errors that tell "full" (slot_unavailable) from "missing"
(not_booked), and a refused change writes nothing.

An appointment takes its agent's 5-minute units (duration + buffer); a time's capacity is the agents free for it."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.dynamo.booking import DynamoBookingStore, booking_store
from chalicelib.adapters.dynamo.models import AppointmentItem, BookingItem, bound
from chalicelib.domain.appointments import Appointment, Contact, Status
from chalicelib.domain.errors import Conflict
from chalicelib.domain.scheduling import UNIT_MINUTES, unit_key
from infra.resources import physical_name
from tests.fakes import InMemoryBookingStore

MADRID = ZoneInfo("Europe/Madrid")
DAY = date(2026, 12, 2)
BOOKING_TABLE = physical_name("dev", "booking")
BOOKING_MODEL = bound(BookingItem, BOOKING_TABLE, region=os.environ.get("AWS_REGION", "eu-south-2"), host=None)
APPOINTMENTS_MODEL = bound(
    AppointmentItem, physical_name("dev", "appointments"), region=os.environ.get("AWS_REGION", "eu-south-2"), host=None
)
ROSA, JORDI, ARNAU = "12345678Z", "99301193G", "99584529A"


class Booking:
    """The store under test, with a look at the rows of the booking table it keeps (``CIT#<id number>`` / ...)."""

    def __init__(self, store: DynamoBookingStore | InMemoryBookingStore) -> None:
        self.store = store

    def taken(self, *appointments: Appointment) -> set[tuple[str, str]]:
        units = [u for a in appointments for u in a.units]
        return self.store.taken("OMAC", min(units), max(units))

    def citizen_items(self, citizen: str) -> dict[str, dict[str, Any]]:
        """The citizen's rows by sort key, each as plain values."""
        if isinstance(self.store, InMemoryBookingStore):
            return {sk: row for (pk, sk), row in self.store.rows.items() if pk == f"CIT#{citizen}"}
        rows = BOOKING_MODEL.query(f"CIT#{citizen}", consistent_read=True)
        return {row.sk: {k: v for k, v in row.attribute_values.items() if k not in ("pk", "sk")} for row in rows}

    def active_count(self, citizen: str) -> int:
        return int(self.citizen_items(citizen).get("ACTIVE", {}).get("active", 0))

    def holds(self, citizen: str, service: str) -> str | None:
        item = self.citizen_items(citizen).get(f"SVC#{service}")
        return item["appointment_id"] if item else None

    def stored_as_by_code(self, appointment: Appointment, contact: str) -> None:
        """Mark a stored appointment as booked by a code sign-in without touching the limits (as older ones were)."""
        if isinstance(self.store, InMemoryBookingStore):
            self.store.appointments[appointment.id] = replace(appointment, citizen_contact=contact)
            return
        APPOINTMENTS_MODEL(appointment.id).update([APPOINTMENTS_MODEL.citizen_contact.set(contact)])


def dynamo_store() -> DynamoBookingStore:
    return booking_store(
        physical_name("dev", "appointments"), BOOKING_TABLE, region=os.environ["AWS_REGION"], host=None, zone=MADRID
    )


@pytest.fixture(params=["dynamodb", "in-memory"])
def booking(request: pytest.FixtureRequest) -> Booking:
    if request.param == "in-memory":
        return Booking(InMemoryBookingStore())
    request.getfixturevalue("aws")
    return Booking(dynamo_store())


@pytest.fixture
def dynamo_booking(aws: None) -> Booking:
    """For what only the adapter does: its retries."""
    return Booking(dynamo_store())


def units(start: datetime, minutes: int) -> tuple[str, ...]:
    return tuple(unit_key(start + timedelta(minutes=m)) for m in range(0, minutes, UNIT_MINUTES))


def held(agent: str, *appointments: Appointment) -> set[tuple[str, str]]:
    return {(u, agent) for a in appointments for u in a.units}


_numbers = iter(range(1, 10**6))


def appointment(
    hhmm: str = "09:00",
    citizen: str = ROSA,
    service: str = "residence-certificate",
    agent: str = "laia",
    day: date = DAY,
    duration: int = 15,
    buffer: int = 5,
) -> Appointment:
    start = at(day, hhmm)
    return Appointment(
        id=f"00000000-0000-4000-8000-{next(_numbers):012d}",
        service_id=service,
        office="OMAC",
        start=start,
        end=start + timedelta(minutes=duration),
        status=Status.BOOKED,
        citizen=citizen,
        citizen_contact=None,
        contact=Contact("rosa@example.org"),
        language="ca",
        agent=agent,
        units=units(start, duration + buffer),
        created_at=datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
        created_by=f"citizen:{citizen}",
    )


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time(), tzinfo=MADRID)


def moved(a: Appointment, hhmm: str, agent: str | None = None) -> Appointment:
    start = at(a.start.date(), hhmm)
    return a.moved(start, start + (a.end - a.start), agent or a.agent, units(start, len(a.units) * UNIT_MINUTES))


def conflict_code(action: Callable[[], object]) -> str:
    with pytest.raises(Conflict) as raised:
        action()
    return raised.value.code


# --- book ------------------------------------------------------------------------------------------------------------


def test_booking_takes_the_agents_units_and_records_the_citizens_booking(booking: Booking) -> None:
    a = appointment()

    booking.store.book(a, max_active=3)

    assert booking.taken(a) == held("laia", a)
    assert booking.store.get(a.id) == a
    assert booking.holds(ROSA, a.service_id) == a.id
    assert booking.active_count(ROSA) == 1
    assert [x.id for x in booking.store.of_citizen(ROSA)] == [a.id]
    assert [x.id for x in booking.store.of_office_day("OMAC", DAY.isoformat())] == [a.id]


def test_a_time_takes_as_many_bookings_as_agents(booking: Booking) -> None:
    with_laia, with_pau = appointment(citizen=ROSA, agent="laia"), appointment(citizen=JORDI, agent="pau")
    booking.store.book(with_laia, 3)
    booking.store.book(with_pau, 3)

    code = conflict_code(lambda: booking.store.book(appointment(citizen=ARNAU, agent="laia"), 3))

    assert code == "slot_unavailable"
    assert booking.taken(with_laia) == held("laia", with_laia) | held("pau", with_pau)
    assert booking.citizen_items(ARNAU) == {}


def test_a_taken_unit_refuses_the_booking_and_nothing_is_written(booking: Booking) -> None:
    jordis = appointment("09:00", citizen=JORDI)
    booking.store.book(jordis, 3)
    # 09:15-09:35 with the same agent overlaps Jordi's only in his buffer, 09:15
    late = appointment("09:15", citizen=ROSA)

    code = conflict_code(lambda: booking.store.book(late, 3))

    assert code == "slot_unavailable"
    assert booking.store.get(late.id) is None
    assert booking.taken(jordis, late) == held("laia", jordis)
    assert booking.citizen_items(ROSA) == {}
    assert booking.store.of_citizen(ROSA) == []
    # the same time with the other agent is fine
    booking.store.book(appointment("09:15", citizen=ROSA, agent="pau"), 3)


def test_a_second_active_appointment_for_the_same_service_is_already_booked(booking: Booking) -> None:
    first, again = appointment("09:00"), appointment("11:00")
    booking.store.book(first, 3)

    code = conflict_code(lambda: booking.store.book(again, 3))

    assert code == "already_booked"
    assert booking.store.get(again.id) is None
    assert booking.taken(again) == set()
    assert booking.holds(ROSA, first.service_id) == first.id
    assert booking.active_count(ROSA) == 1


def test_other_services_are_fine_up_to_the_maximum_of_active_appointments(booking: Booking) -> None:
    certificate = appointment("09:00", service="residence-certificate")
    address = appointment("10:00", service="change-of-address", duration=20)
    information = appointment("11:00", service="general-information")
    booking.store.book(certificate, 2)
    booking.store.book(address, 2)

    code = conflict_code(lambda: booking.store.book(information, 2))

    assert code == "too_many_appointments"
    assert booking.store.get(information.id) is None
    assert booking.taken(information) == set()
    assert booking.holds(ROSA, "general-information") is None
    assert booking.active_count(ROSA) == 2
    # cancelling one makes room again
    booking.store.cancel(certificate)
    booking.store.book(information, 2)
    assert booking.active_count(ROSA) == 2


def test_the_same_appointment_id_is_never_written_twice(booking: Booking) -> None:
    a = appointment()
    booking.store.book(a, 3)

    code = conflict_code(lambda: booking.store.book(replace(a, citizen=JORDI, agent="pau"), 3))

    assert code == "conflict"
    assert booking.taken(a) == held("laia", a)
    assert booking.citizen_items(JORDI) == {}


def test_a_repeated_booking_is_refused_whole(booking: Booking) -> None:
    """A retry reaching the store again (retries are answered by the API's idempotency layer before that) can
    never take a second place or count the citizen twice."""
    a = appointment()
    booking.store.book(a, 3)

    assert conflict_code(lambda: booking.store.book(a, 3)) == "slot_unavailable"

    assert booking.taken(a) == held("laia", a)
    assert booking.active_count(ROSA) == 1


def test_taken_units_are_read_back_across_month_and_year_boundaries(booking: Booking) -> None:
    november = appointment("13:40", day=date(2026, 11, 30))
    december = appointment("09:00", citizen=JORDI, agent="pau", day=date(2026, 12, 1))
    january = appointment("09:00", citizen=ARNAU, day=date(2027, 1, 4))
    for a in (november, december, january):
        booking.store.book(a, 3)

    found = booking.taken(november, december, january)

    assert found == held("laia", november, january) | held("pau", december)


# --- cancel and close ------------------------------------------------------------------------------------------------


def test_cancelling_frees_the_agents_units_and_the_citizens_booking(booking: Booking) -> None:
    a, other = appointment(), appointment(citizen=JORDI, agent="pau")
    booking.store.book(a, 3)
    booking.store.book(other, 3)

    booking.store.cancel(a)

    assert booking.taken(a) == held("pau", other)  # only the other agent's units stay taken
    assert booking.holds(ROSA, a.service_id) is None
    assert booking.active_count(ROSA) == 0
    cancelled = booking.store.get(a.id)
    assert cancelled is not None
    assert (cancelled.status, cancelled.version) == (Status.CANCELLED, 2)
    # the time and the service are free again, for anyone
    booking.store.book(appointment(citizen=ARNAU), 3)
    booking.store.book(appointment("12:00"), 3)


def test_cancelling_twice_or_something_never_booked_is_not_booked(booking: Booking) -> None:
    a = appointment()
    booking.store.book(a, 3)
    booking.store.cancel(a)

    assert conflict_code(lambda: booking.store.cancel(a)) == "not_booked"
    assert conflict_code(lambda: booking.store.cancel(appointment("12:00"))) == "not_booked"
    assert booking.taken(a) == set()
    assert booking.active_count(ROSA) == 0


def test_closing_with_an_outcome_keeps_the_units_and_frees_the_citizen(booking: Booking) -> None:
    a = appointment()
    booking.store.book(a, 3)

    booking.store.close(a, Status.NO_SHOW, "no answer after two calls")

    assert booking.taken(a) == held("laia", a)  # the agent's time was spent
    assert booking.holds(ROSA, a.service_id) is None
    assert booking.active_count(ROSA) == 0
    closed = booking.store.get(a.id)
    assert closed is not None
    assert (closed.status, closed.outcome_notes) == (Status.NO_SHOW, "no answer after two calls")
    assert conflict_code(lambda: booking.store.close(a, Status.COMPLETED, None)) == "not_booked"
    assert conflict_code(lambda: booking.store.cancel(a)) == "not_booked"
    # the citizen may book the service again, at another time
    booking.store.book(appointment("12:00"), 3)


# --- limits per (ID number, verified contact) -----------------------------------------------------------------------
# A code sign-in proves only an address: its bookings count within (ID number, that contact). Someone who knows
# Rosa's ID number and books from their own address never spends Rosa's limits, and at most two contacts per ID
# number hold active bookings at once. A booking made with the identity proved (eID) or by staff counts everything.

OWN, STRANGER, THIRD = "hash-of-rosas-address", "hash-of-a-strangers-address", "hash-of-a-third-address"


def by_code(contact: str, hhmm: str = "09:00", **kwargs: Any) -> Appointment:
    return replace(appointment(hhmm, **kwargs), citizen_contact=contact)


def contacts_holding(booking: Booking, citizen: str) -> set[str]:
    item = booking.citizen_items(citizen).get("CONTACTS")
    return set(item.get("contacts") or ()) if item else set()


def test_a_strangers_code_bookings_never_spend_the_owners_limits(booking: Booking) -> None:
    # GIVEN a stranger with Rosa's ID number and their own address, holding as many bookings as a contact may
    certificate = by_code(STRANGER, "09:00", service="residence-certificate")
    address = by_code(STRANGER, "10:00", service="change-of-address", duration=20)
    booking.store.book(certificate, 2)
    booking.store.book(address, 2)
    assert conflict_code(lambda: booking.store.book(by_code(STRANGER, "11:00", service="general-information"), 2)) == (
        "too_many_appointments"
    )

    # WHEN Rosa, signed in by a code to her own address, books the same services
    mine = [
        by_code(OWN, "09:00", agent="pau", service="residence-certificate"),
        by_code(OWN, "10:00", agent="pau", service="change-of-address", duration=20),
    ]
    for a in mine:
        booking.store.book(a, 2)

    # THEN both are hers; each contact is counted on its own, and the ID number holds all four
    assert booking.active_count(ROSA) == 4
    assert contacts_holding(booking, ROSA) == {OWN, STRANGER}
    # and a second booking of the same service in her own scope is still "already booked"
    assert conflict_code(lambda: booking.store.book(by_code(OWN, "12:00"), 2)) == "already_booked"


def test_a_third_contact_is_refused_whole_until_a_contact_holds_nothing(booking: Booking) -> None:
    first, second = by_code(OWN, "09:00"), by_code(STRANGER, "09:00", agent="pau")
    booking.store.book(first, 3)
    booking.store.book(second, 3)
    third = by_code(THIRD, "12:00")

    code = conflict_code(lambda: booking.store.book(third, 3))

    assert code == "online_limit_reached"
    assert booking.store.get(third.id) is None
    assert booking.taken(third) == set()
    assert booking.active_count(ROSA) == 2
    assert contacts_holding(booking, ROSA) == {OWN, STRANGER}
    # a contact already holding bookings books more
    booking.store.book(by_code(OWN, "11:00", service="general-information"), 3)
    # once one contact's bookings have all ended, another contact may book
    booking.store.cancel(second)
    assert contacts_holding(booking, ROSA) == {OWN}
    booking.store.book(third, 3)
    assert contacts_holding(booking, ROSA) == {OWN, THIRD}


def test_a_contact_keeps_its_place_until_its_last_booking_ends(booking: Booking) -> None:
    certificate = by_code(STRANGER, "09:00")
    information = by_code(STRANGER, "11:00", service="general-information")
    booking.store.book(certificate, 3)
    booking.store.book(information, 3)

    booking.store.close(certificate, Status.COMPLETED, None)
    assert contacts_holding(booking, ROSA) == {STRANGER}

    booking.store.cancel(information)
    assert contacts_holding(booking, ROSA) == set()
    assert booking.active_count(ROSA) == 0
    assert conflict_code(lambda: booking.store.cancel(information)) == "not_booked"


def test_a_cancel_that_read_a_stale_count_is_tried_again_and_keeps_the_contact(
    dynamo_booking: Booking, monkeypatch: pytest.MonkeyPatch
) -> None:
    booking = dynamo_booking
    assert isinstance(booking.store, DynamoBookingStore)
    # GIVEN a contact with two bookings, and a cancel that read the count before the second booking was made
    first, second = by_code(STRANGER, "09:00"), by_code(STRANGER, "11:00", service="general-information")
    booking.store.book(first, 3)
    booking.store.book(second, 3)
    reads = iter([1])
    fresh = booking.store._active_in
    monkeypatch.setattr(booking.store, "_active_in", lambda pk: next(reads, None) or fresh(pk))

    # WHEN it cancels: its write was made under "the last booking", which no longer holds
    booking.store.cancel(first)

    # THEN it is written again from a fresh count: the contact keeps its place for the other booking
    assert contacts_holding(booking, ROSA) == {STRANGER}
    assert booking.active_count(ROSA) == 1
    assert booking.store.get(first.id).status is Status.CANCELLED  # type: ignore[union-attr]


def test_a_booking_with_the_identity_proved_counts_every_booking_under_the_id_number(booking: Booking) -> None:
    strangers = by_code(STRANGER, "09:00")
    booking.store.book(strangers, 2)
    with_eid = appointment("12:00")  # no contact: booked with eID or by staff

    assert conflict_code(lambda: booking.store.book(with_eid, 2)) == "already_booked"

    booking.store.book(appointment("10:00", service="change-of-address", duration=20), 2)
    assert conflict_code(lambda: booking.store.book(appointment("11:00", service="general-information"), 2)) == (
        "too_many_appointments"
    )
    # once the stranger's booking is cancelled (the eID owner sees and may cancel it), the service is free
    booking.store.cancel(strangers)
    booking.store.book(with_eid, 2)
    # and code bookings are not refused by what was booked with eID: they count only their own contact's
    booking.store.book(by_code(OWN, "09:00", agent="pau"), 2)


def test_a_code_booking_made_before_limits_per_contact_is_still_freed(booking: Booking) -> None:
    # GIVEN a code sign-in's booking stored the way it was before: counted under the ID number alone
    legacy = appointment("09:00")
    booking.store.book(legacy, 3)
    booking.stored_as_by_code(legacy, OWN)

    booking.store.cancel(replace(legacy, citizen_contact=OWN))

    assert booking.holds(ROSA, legacy.service_id) is None
    assert booking.active_count(ROSA) == 0
    assert booking.taken(legacy) == set()


# --- reschedule ------------------------------------------------------------------------------------------------------


def test_rescheduling_onto_an_overlapping_time_moves_only_the_difference(booking: Booking) -> None:
    old = appointment("09:00")  # Laia's 09:00-09:15
    booking.store.book(old, 3)
    new = moved(old, "09:10")  # Laia's 09:10-09:25: 09:10 and 09:15 are hers already

    booking.store.reschedule(old, new)  # taking 09:10 again would fail

    assert booking.taken(old, new) == held("laia", new)
    assert booking.store.get(old.id) == new
    assert booking.holds(ROSA, old.service_id) == old.id
    assert booking.active_count(ROSA) == 1


def test_rescheduling_to_another_agent_frees_all_of_the_first_agents_units(booking: Booking) -> None:
    old = appointment("09:00", agent="laia")
    booking.store.book(old, 3)
    new = moved(old, "09:10", agent="pau")

    booking.store.reschedule(old, new)

    assert booking.taken(old, new) == held("pau", new)
    assert booking.store.get(old.id) == new


def test_a_reschedule_onto_a_taken_time_changes_nothing(booking: Booking) -> None:
    old = appointment("09:00")
    booking.store.book(old, 3)
    blocker = appointment("09:25", citizen=JORDI)
    booking.store.book(blocker, 3)
    new = moved(old, "09:10")  # needs Laia's 09:20 (free) and 09:25 (Jordi's)

    code = conflict_code(lambda: booking.store.reschedule(old, new))

    assert code == "slot_unavailable"
    assert booking.store.get(old.id) == old
    assert booking.taken(old, new, blocker) == held("laia", old, blocker)
    assert booking.active_count(ROSA) == 1


def test_a_reschedule_from_a_stale_copy_is_not_booked(booking: Booking) -> None:
    old = appointment("09:00")
    booking.store.book(old, 3)
    first = moved(old, "10:00")
    booking.store.reschedule(old, first)
    second = moved(old, "11:00")  # from the copy read before the first change

    code = conflict_code(lambda: booking.store.reschedule(old, second))

    assert code == "not_booked"
    assert booking.store.get(old.id) == first
    assert booking.taken(old, first, second) == held("laia", first)


# --- reminder claims (what the reminders of tests/unit/test_reminders.py rely on from the fake) ---------------------


def test_a_reminder_is_claimed_once(booking: Booking) -> None:
    store, a = booking.store, appointment()
    store.book(a, 3)

    assert store.mark_reminder(a.id, "24h", "sending", claim=True) is True
    assert store.mark_reminder(a.id, "24h", "sending", claim=True) is False
    store.mark_reminder(a.id, "24h", "2026-12-01T09:00:00+00:00", claim=False)
    assert store.mark_reminder(a.id, "24h", "sending", claim=True) is False
    assert store.mark_reminder(a.id, "1h", "sending", claim=True) is True

    assert dict(store.get(a.id).reminders) == {"24h": "2026-12-01T09:00:00+00:00", "1h": "sending"}  # type: ignore[union-attr]


def test_a_claim_given_back_can_be_taken_again(booking: Booking) -> None:
    store, a = booking.store, appointment()
    store.book(a, 3)
    store.mark_reminder(a.id, "1h", "sending", claim=True)

    store.unmark_reminder(a.id, "1h")

    assert dict(store.get(a.id).reminders) == {}  # type: ignore[union-attr]
    assert store.mark_reminder(a.id, "1h", "sending", claim=True) is True


def test_a_cancelled_appointment_cannot_be_claimed(booking: Booking) -> None:
    a = appointment()
    booking.store.book(a, 3)
    booking.store.cancel(a)

    assert booking.store.mark_reminder(a.id, "24h", "sending", claim=True) is False
