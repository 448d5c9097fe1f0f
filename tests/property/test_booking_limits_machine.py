"""The limits alone: people book under a few ID numbers, with the identity proved (eID, staff) or by code sign-ins from
several contacts, and cancel or close; every time is free (each booking has its own agent), so each step reaches the
limits. The DynamoDB store refuses exactly what the rule refuses (a code sign-in counts only its own contact's
bookings; at most two contacts per ID number hold bookings; a booking with the identity proved counts everything)
and its counters always equal what active appointments hold."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, invariant, rule

from chalicelib.domain.appointments import Appointment, Contact, Status
from chalicelib.domain.scheduling import unit_key
from tests.property.test_booking_state_machine import (
    CONTACTS,
    DAY_START,
    SERVICES,
    StoreMachine,
    assert_limits_held,
    citizens_items,
    limit_refusal,
    machine_settings,
    refusal,
)

CITIZENS = ("12345678Z", "99301193G")  # few, so that every limit is reached within a few steps


class LimitsMachine(StoreMachine):
    appointments = Bundle("appointments")

    @rule(
        target=appointments,
        citizen=st.sampled_from(CITIZENS),
        contact=st.sampled_from(CONTACTS),
        service=st.sampled_from(SERVICES),
    )
    def book(self, citizen: str, contact: str | None, service: str) -> Any:
        n = next(self.numbers)
        start = DAY_START + timedelta(minutes=5 * n)
        appointment = Appointment(
            id=f"00000000-0000-4000-8000-{n:012d}",
            service_id=service,
            office="OMAC",
            start=start,
            end=start + timedelta(minutes=5),
            status=Status.BOOKED,
            citizen=citizen,
            citizen_contact=contact,
            contact=Contact("someone@example.org"),
            language="ca",
            agent=f"agent-{n}",
            units=(unit_key(start),),
            created_at=datetime(2026, 11, 28, tzinfo=UTC),
            created_by=f"citizen:{citizen}",
        )
        expected = limit_refusal(self.active(), citizen, contact, service)
        return self.attempt_booking(appointment, expected)

    @rule(existing=appointments, outcome=st.sampled_from((Status.CANCELLED, Status.COMPLETED, Status.NO_SHOW)))
    def end(self, existing: Appointment, outcome: Status) -> None:
        current = self.latest[existing.id]
        expected = None if current.is_active else "not_booked"
        if outcome is Status.CANCELLED:
            assert refusal(lambda: self.store.cancel(current)) == expected
        else:
            assert refusal(lambda: self.store.close(current, outcome, None)) == expected
        if expected is None:
            self.latest[current.id] = replace(current, status=outcome, version=current.version + 1)

    @invariant()
    def the_counters_hold_what_the_model_holds(self) -> None:
        assert_limits_held(citizens_items(self._scan("booking")), self.active())


LimitsMachine.TestCase.settings = machine_settings(20)
TestLimitsMachine = LimitsMachine.TestCase
