"""Many citizens book, cancel and reschedule over a few small slots: the DynamoDB store never gives an agent's time
twice, and what is taken always equals what active appointments hold (every place freed is a place taken back).

Bookings are made with the identity proved (no contact: eID or staff) or by code sign-ins from several contacts under
one ID number: the limits are counted per (ID number, contact) for those, over the whole ID number for the others,
and never more than MAX_CONTACTS contacts per ID number hold active bookings."""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule

from chalicelib.adapters.dynamo.booking import booking_store, from_item
from chalicelib.adapters.dynamo.models import AppointmentItem
from chalicelib.domain.appointments import Appointment, Contact, Status
from chalicelib.domain.errors import Conflict
from chalicelib.domain.scheduling import UNIT_MINUTES, unit_key
from infra.resources import physical_name
from tests import moto_state

MADRID = ZoneInfo("Europe/Madrid")
DAY_START = datetime(2026, 12, 2, 9, 0, tzinfo=MADRID)
CITIZENS = ("12345678Z", "99301193G", "99584529A", "Y9960433K")
SERVICES = ("residence-certificate", "change-of-address", "general-information")
MAX_ACTIVE = 2
MAX_CONTACTS = 2
# None: booked with the identity proved (eID) or by staff; otherwise the keyed hash of a code sign-in's contact.
CONTACTS = (None, "contact-a", "contact-b", "contact-c")

# An hour of twelve 5-minute units from 09:00: Laia all hour, Pau from 09:20, so a unit's capacity is one or two.
UNITS = tuple(unit_key(DAY_START + timedelta(minutes=m)) for m in range(0, 60, UNIT_MINUTES))
DUTY = {"laia": (0, 60), "pau": (20, 60)}  # minutes after 09:00
ON_DUTY = {
    unit: tuple(a for a, (begin, end) in DUTY.items() if begin <= i * UNIT_MINUTES < end)
    for i, unit in enumerate(UNITS)
}


class Slot:
    def __init__(self, minute: int, length: int) -> None:
        self.start = DAY_START + timedelta(minutes=minute)
        self.end = self.start + timedelta(minutes=length - 5)  # the last unit is the buffer
        self.units = UNITS[minute // UNIT_MINUTES : (minute + length) // UNIT_MINUTES]
        self.agents = tuple(a for a, (begin, end) in DUTY.items() if begin <= minute and minute + length <= end)

    def __repr__(self) -> str:
        return f"Slot({self.start:%H:%M}-{self.end:%H:%M})"


# Overlapping on purpose: a reschedule between neighbours keeps some units and moves the rest.
SLOTS = (Slot(0, 20), Slot(10, 20), Slot(20, 25), Slot(30, 20), Slot(40, 20), Slot(45, 15))
AGENT_CHOICE = st.integers(min_value=0, max_value=1)  # which of the slot's agents the service would try


@functools.cache
def _client(region: str) -> Any:
    """Built once (~0.1 s): moto intercepts the calls of a client made before a mock starts just the same."""
    return boto3.client("dynamodb", region_name=region)


def refusal(change: Callable[[], object]) -> str | None:
    """The code of the Conflict a change is refused with, or None when it is done."""
    try:
        change()
    except Conflict as refused:
        return refused.code
    return None


class StoreMachine(RuleBasedStateMachine):
    """A booking store on moto, empty for each example, and the appointments the model made."""

    def __init__(self) -> None:
        super().__init__()
        self.aws = moto_state.fresh(tables_only=True)
        self.aws.__enter__()
        region = os.environ["AWS_REGION"]
        self.client = _client(region)
        self.store = booking_store(
            physical_name("dev", "appointments"), physical_name("dev", "booking"), region=region, host=None, zone=MADRID
        )
        self.latest: dict[str, Appointment] = {}  # every appointment ever made, as the model last knew it
        self.numbers = iter(range(1, 10**6))

    def teardown(self) -> None:
        self.aws.__exit__(None, None, None)

    def active(self) -> list[Appointment]:
        return [a for a in self.latest.values() if a.is_active]

    def attempt_booking(self, appointment: Appointment, expected: str | None) -> Any:
        """Books ``appointment``, the store refusing with ``expected`` (None: booked); what the rule adds to its
        bundle: the appointment, or nothing when refused."""
        event(f"book: {expected or 'booked'}")
        assert refusal(lambda: self.store.book(appointment, MAX_ACTIVE, MAX_CONTACTS)) == expected
        if expected is not None:
            return multiple()
        self.latest[appointment.id] = appointment
        return appointment

    def _scan(self, table: str) -> list[dict[str, Any]]:
        return list(self.client.scan(TableName=physical_name("dev", table), ConsistentRead=True)["Items"])


class BookingMachine(StoreMachine):
    appointments = Bundle("appointments")

    # --- the model ------------------------------------------------------------------------------------------------
    def held(self) -> dict[tuple[str, str], str]:
        return {(u, a.agent): a.id for a in self.active() for u in a.units}

    def any_taken(self, agent: str, units: tuple[str, ...]) -> bool:
        held = self.held()
        return any((u, agent) in held for u in units)

    # --- rules ----------------------------------------------------------------------------------------------------
    @initialize(target=appointments, citizen=st.sampled_from(CITIZENS), slot=st.sampled_from(SLOTS))
    def first_booking(self, citizen: str, slot: Slot) -> Any:
        """Something to cancel or move from the first step (an empty table refuses nothing)."""
        return self.book(citizen, SERVICES[0], slot, 0)

    @rule(
        target=appointments,
        citizen=st.sampled_from(CITIZENS),
        service=st.sampled_from(SERVICES),
        slot=st.sampled_from(SLOTS),
        pick=AGENT_CHOICE,
        contact=st.sampled_from(CONTACTS),
    )
    def book(self, citizen: str, service: str, slot: Slot, pick: int, contact: str | None = None) -> Any:
        agent = slot.agents[pick % len(slot.agents)]
        appointment = Appointment(
            id=f"00000000-0000-4000-8000-{next(self.numbers):012d}",
            service_id=service,
            office="OMAC",
            start=slot.start,
            end=slot.end,
            status=Status.BOOKED,
            citizen=citizen,
            citizen_contact=contact,
            contact=Contact("someone@example.org"),
            language="ca",
            agent=agent,
            units=slot.units,
            created_at=datetime(2026, 11, 28, tzinfo=UTC),
            created_by=f"citizen:{citizen}",
        )
        # The transaction's conditions, in the order the store lists them: places first, then the limits.
        expected = (
            "slot_unavailable"
            if self.any_taken(agent, slot.units)
            else limit_refusal(self.active(), citizen, contact, service)
        )
        return self.attempt_booking(appointment, expected)

    @rule(existing=appointments)
    def cancel(self, existing: Appointment) -> None:
        current = self.latest[existing.id]
        expected = None if current.is_active else "not_booked"
        assert refusal(lambda: self.store.cancel(current)) == expected
        if expected is None:
            self.latest[current.id] = replace(current, status=Status.CANCELLED, version=current.version + 1)

    @rule(existing=appointments, slot=st.sampled_from(SLOTS), pick=AGENT_CHOICE)
    def reschedule(self, existing: Appointment, slot: Slot, pick: int) -> None:
        current = self.latest[existing.id]
        agent = slot.agents[pick % len(slot.agents)]
        moved = current.moved(slot.start, slot.end, agent, slot.units)
        # the units the move must take: all of them with another agent, only the new ones with the same agent
        needed = tuple(u for u in moved.units if agent != current.agent or u not in current.units)
        expected = (
            "not_booked" if not current.is_active else "slot_unavailable" if self.any_taken(agent, needed) else None
        )
        assert refusal(lambda: self.store.reschedule(current, moved)) == expected
        if expected is None:
            self.latest[current.id] = moved

    # --- invariants (two scans a step: the tables are small, and fewer calls keep 25 examples under 30 s) --------

    @invariant()
    def the_store_holds_what_the_model_holds(self) -> None:
        read = (from_item(AppointmentItem.from_raw_data(raw), MADRID) for raw in self._scan("appointments"))
        stored = {a.id: a for a in read}
        booking = self._scan("booking")
        active = [a for a in stored.values() if a.is_active]

        assert {i: (a.status, a.start, a.agent, a.units, a.version) for i, a in stored.items()} == {
            i: (a.status, a.start, a.agent, a.units, a.version) for i, a in self.latest.items()
        }
        # every unit: taken once per active appointment holding it, never by more than the agents on duty then,
        # and each agent's unit by one appointment at most
        taken = {
            tuple(i["sk"]["S"].split("#")): i["appointment_id"]["S"] for i in booking if i["pk"]["S"].startswith("CAP#")
        }
        assert taken == {(u, a.agent): a.id for a in active for u in a.units}
        per_unit = Counter(unit for unit, _ in taken)
        for unit in UNITS:
            assert per_unit[unit] == sum(unit in a.units for a in active), unit
            assert per_unit[unit] <= len(ON_DUTY[unit]), unit
        assert all(agent in ON_DUTY[unit] for unit, agent in taken)
        assert_limits_held(citizens_items(booking), active)


def limit_refusal(active: list[Appointment], citizen: str, contact: str | None, service: str) -> str | None:
    """What the limits refuse a booking with, if anything, in the order the store checks them: the service, the
    maximum, and for a code sign-in the contacts. A booking with the identity proved (no contact) counts everything
    under the ID number; a code sign-in's only its own contact's."""
    under_id = [a for a in active if a.citizen == citizen]
    mine = under_id if contact is None else [a for a in under_id if a.citizen_contact == contact]
    holding = {a.citizen_contact for a in under_id if a.citizen_contact}
    if any(a.service_id == service for a in mine):
        return "already_booked"
    if len(mine) >= MAX_ACTIVE:
        return "too_many_appointments"
    if contact is not None and contact not in holding and len(holding) >= MAX_CONTACTS:
        return "online_limit_reached"
    return None


def citizens_items(booking: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in booking if i["pk"]["S"].startswith("CIT#")]


def assert_limits_held(citizens: list[dict[str, Any]], active: list[Appointment]) -> None:
    """Every citizen: one active appointment per service and scope, at most the maximum, counters that say so, and
    never more than MAX_CONTACTS contacts holding bookings under one ID number."""
    counters = {i["pk"]["S"][4:]: int(i["active"]["N"]) for i in citizens if i["sk"]["S"] == "ACTIVE"}
    markers = {
        (i["pk"]["S"][4:], i["sk"]["S"][4:]): i["appointment_id"]["S"]
        for i in citizens
        if i["sk"]["S"].startswith("SVC#")
    }
    per_service = {
        (i["pk"]["S"][4:], i["sk"]["S"][5:]): int(i["n"]["N"]) for i in citizens if i["sk"]["S"].startswith("SVCN#")
    }
    contacts = {
        i["pk"]["S"][4:]: set(i["contacts"]["SS"]) for i in citizens if i["sk"]["S"] == "CONTACTS" and "contacts" in i
    }
    for citizen in {a.citizen for a in active} | {i["pk"]["S"][4:].split("#")[0] for i in citizens}:
        under_id = [a for a in active if a.citizen == citizen]
        holding = {a.citizen_contact for a in under_id if a.citizen_contact}
        assert len(holding) <= MAX_CONTACTS
        assert contacts.get(citizen, set()) == holding, citizen
        assert counters.get(citizen, 0) == len(under_id), citizen
        by_identity = [a for a in under_id if a.citizen_contact is None]
        # with the identity proved: one booking per service (a code sign-in's own bookings are counted apart)
        assert len({a.service_id for a in by_identity}) == len(by_identity)
        for service in SERVICES:
            by_code = sum(a.service_id == service for a in under_id if a.citizen_contact)
            assert per_service.get((citizen, service), 0) == by_code
        for contact in {c for c in CONTACTS if c}:
            mine = [a for a in under_id if a.citizen_contact == contact]
            assert len(mine) <= MAX_ACTIVE
            assert len({a.service_id for a in mine}) == len(mine)
            assert counters.get(f"{citizen}#C#{contact}", 0) == len(mine), (citizen, contact)
    assert markers == {
        (a.citizen + (f"#C#{a.citizen_contact}" if a.citizen_contact else ""), a.service_id): a.id for a in active
    }


def machine_settings(steps: int) -> settings:
    """25 examples of ``steps`` steps each, however long they take (moto is slow, and so is a busy machine)."""
    return settings(
        max_examples=25, stateful_step_count=steps, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )


BookingMachine.TestCase.settings = machine_settings(15)
TestBookingStateMachine = BookingMachine.TestCase
