"""Capacity rules as a state machine on moto: citizens book, agents take leave (whole or part of the day) or extra
hours, schedules are edited, a holiday comes and goes, appointments are cancelled and those that need rebooking are
moved; after every change that removes capacity the capacity service handles the office's appointments.

Whatever the sequence: every booked appointment has an agent whose hours hold its whole time (or it is
``needs_rebooking``), the taken units are exactly those of booked appointments (a needs_rebooking one holds none),
and each citizen's active counter is exactly their booked and needs_rebooking appointments."""

from __future__ import annotations

import functools
import os
from collections import Counter
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import boto3
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chalicelib.adapters.dynamo.booking import booking_store
from chalicelib.domain.appointments import Appointment, Contact, Status
from chalicelib.domain.audit import Actor, RequestContext
from chalicelib.domain.calendar import HolidayCalendar
from chalicelib.domain.capacity import is_covered
from chalicelib.domain.catalogue import Assurance, Office, Service, Text, WeeklyHours
from chalicelib.domain.errors import Conflict
from chalicelib.domain.scheduling import AgentSchedule, ScheduleException, parse_intervals
from chalicelib.services.booking import BookingService, BookingSettings
from chalicelib.services.capacity import CapacityService, HolidayBook
from chalicelib.services.catalogue import CatalogueService
from infra.resources import physical_name
from tests import moto_state
from tests.fakes import InMemoryAuditLog, InMemoryCatalogue

MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=MADRID)  # a Monday
DAY = date(2030, 1, 9)  # the Wednesday every appointment is on
OFFICE = Office("OMAC", Text(ca="OMAC"), "", "Europe/Madrid", WeeklyHours({2: (("09:00", "13:00"),)}))
SERVICES = (
    Service("short", "OMAC", Text(ca="Curt"), Text(ca="Curt"), 20, Assurance.LOW, min_notice_minutes=0),
    Service("long", "OMAC", Text(ca="Llarg"), Text(ca="Llarg"), 45, Assurance.LOW, min_notice_minutes=0),
)
AGENTS = ("ana", "ben", "cai")
CITIZENS = tuple(f"C{n}" for n in range(6))
MAX_ACTIVE = 2
SHIFTS = (
    (),
    (("09:00", "13:00"),),
    (("09:00", "11:00"),),
    (("10:30", "13:00"),),
    (("09:00", "10:00"), ("11:00", "13:00")),
)
CONTEXT = RequestContext("property")


@functools.cache
def _client(region: str) -> Any:
    return boto3.client("dynamodb", region_name=region)


class FakeState:
    """The capacity state in memory (jobs, generation, saved holiday years)."""

    def __init__(self) -> None:
        self.years: dict[int, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.value = 0

    def holiday_years(self) -> dict[int, dict[str, Any]]:
        return dict(self.years)

    def holiday_year(self, year: int) -> dict[str, Any] | None:
        return self.years.get(year)

    def put_holiday_year(self, year: int, items: list[dict[str, Any]], version: int) -> bool:
        self.years[year] = {"items": items, "version": version}
        return True

    def put_job(self, job: dict[str, Any]) -> None:
        self.jobs[job["id"]] = dict(job)

    def job(self, job_id: str) -> dict[str, Any] | None:
        return self.jobs.get(job_id)

    def claim_job(self, job_id: str, now: int, until: int) -> bool:
        return True

    def running_jobs(self) -> list[dict[str, Any]]:
        return [j for j in self.jobs.values() if j["status"] == "running"]

    def generation(self) -> str:
        return str(self.value)

    def bump_generation(self) -> None:
        self.value += 1


class Notes:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, message: Any) -> str:
        self.sent.append(message)
        return "id"


class Staff:
    """The agents' schedules (the model): every change is made here, then the capacity service runs."""

    def __init__(self) -> None:
        self.weekly: dict[str, tuple[tuple[str, str], ...]] = dict.fromkeys(AGENTS, SHIFTS[1])
        self.exceptions: dict[str, ScheduleException] = {}
        self.enabled = set(AGENTS)

    def agents_of(self, office: str) -> tuple[AgentSchedule, ...]:
        return tuple(
            AgentSchedule(
                name,
                office,
                {2: parse_intervals(self.weekly[name])},
                (self.exceptions[name],) if name in self.exceptions else (),
            )
            for name in AGENTS
            if name in self.enabled
        )


class CapacityMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.aws = moto_state.fresh(tables_only=True)
        self.aws.__enter__()
        region = os.environ["AWS_REGION"]
        self.client = _client(region)
        self.store = booking_store(
            physical_name("dev", "appointments"), physical_name("dev", "booking"), region=region, host=None, zone=MADRID
        )
        self.staff = Staff()
        self.state = FakeState()
        self.holidays = HolidayBook(self.state, HolidayCalendar(()))
        self.booking = BookingService(
            CatalogueService(InMemoryCatalogue(list(SERVICES), [OFFICE])),
            self.staff.agents_of,
            self.holidays.calendar,
            self.store,
            Notes(),
            InMemoryAuditLog(),
            BookingSettings(MAX_ACTIVE, "https://cites.example", "cites@example.org", MADRID),
            clock=lambda: NOW,
            generation=self.state.generation,
        )
        self.capacity = CapacityService(
            self.booking,
            self.store,
            self.staff,  # type: ignore[arg-type]
            self.state,
            self.holidays,
            InMemoryAuditLog(),
        )
        self.ids: list[str] = []
        self.numbers = iter(range(10**6))

    def teardown(self) -> None:
        self.aws.__exit__(None, None, None)

    # --- helpers ----------------------------------------------------------------------------------------------------
    def appointments(self) -> list[Appointment]:
        return [a for i in self.ids if (a := self.store.get(i)) is not None]

    def reconcile(self, reason: str) -> None:
        handled = self.capacity.reconcile([("OMAC", [DAY])], reason, CONTEXT)
        for affected in handled.affected:
            event(f"{reason}: {affected.action}")

    def _free(self, service: Service) -> list[tuple[Any, list[str]]]:
        availability = self.booking.fresh_availability("OMAC")
        slots = availability.slots_on(service, DAY)
        if not slots:
            return []
        taken = self.store.taken("OMAC", slots[0].units[0], slots[-1].units[-1])
        return [(slot, free) for slot in slots if (free := slot.free_agents(taken))]

    # --- rules ------------------------------------------------------------------------------------------------------
    @rule(citizen=st.sampled_from(CITIZENS), service=st.sampled_from(SERVICES), pick=st.integers(0, 20))
    def book(self, citizen: str, service: Service, pick: int) -> None:
        free = self._free(service)
        if not free:
            return
        slot, agents = free[pick % len(free)]
        n = next(self.numbers)
        appointment = Appointment(
            id=f"00000000-0000-4000-8000-{n:012d}",
            service_id=service.id,
            office="OMAC",
            start=slot.start,
            end=slot.end,
            status=Status.BOOKED,
            citizen=citizen,
            citizen_contact=None,
            contact=Contact(email=f"{citizen}@example.org"),
            language="ca",
            agent=agents[0],
            units=slot.units,
            created_at=NOW,
            created_by="staff:test",
        )
        try:
            self.store.book(appointment, MAX_ACTIVE)
        except Conflict as exc:
            event(f"book refused: {exc.code}")
            return
        self.ids.append(appointment.id)

    @rule(agent=st.sampled_from(AGENTS), part=st.sampled_from(((), (("09:00", "11:00"),), (("11:00", "13:00"),))))
    def leave(self, agent: str, part: tuple[tuple[str, str], ...]) -> None:
        self.staff.exceptions[agent] = ScheduleException(DAY, "leave", parse_intervals(part))
        self.reconcile("leave")

    @rule(agent=st.sampled_from(AGENTS))
    def extra_hours(self, agent: str) -> None:
        self.staff.exceptions[agent] = ScheduleException(DAY, "extra", parse_intervals((("09:00", "13:00"),)))
        self.capacity.changed("OMAC")

    @rule(agent=st.sampled_from(AGENTS))
    def lift_exception(self, agent: str) -> None:
        self.staff.exceptions.pop(agent, None)
        self.reconcile("schedule")

    @rule(agent=st.sampled_from(AGENTS), shift=st.sampled_from(SHIFTS))
    def edit_schedule(self, agent: str, shift: tuple[tuple[str, str], ...]) -> None:
        self.staff.weekly[agent] = shift
        self.reconcile("schedule")

    @rule(agent=st.sampled_from(AGENTS), enabled=st.booleans())
    def disable_agent(self, agent: str, enabled: bool) -> None:
        (self.staff.enabled.add if enabled else self.staff.enabled.discard)(agent)
        self.capacity.agent_left(agent, "OMAC", False, CONTEXT)

    @rule(on=st.booleans())
    def holiday(self, on: bool) -> None:
        items = [{"date": DAY.isoformat(), "name": {"ca": "Festa"}, "scope": "local", "office": "OMAC"}] if on else []
        self.state.put_holiday_year(DAY.year, items, 1)
        self.reconcile("holiday")

    @precondition(lambda self: bool(self.ids))
    @rule(pick=st.integers(0, 100))
    def cancel(self, pick: int) -> None:
        held = [a for a in self.appointments() if a.holds_place]
        if held:
            self.booking.cancel_held(held[pick % len(held)], Actor.system("test"), CONTEXT)

    @precondition(lambda self: bool(self.ids))
    @rule(pick=st.integers(0, 100))
    def rebook(self, pick: int) -> None:
        waiting = [a for a in self.appointments() if a.status is Status.NEEDS_REBOOKING]
        if not waiting:
            return
        chosen = waiting[pick % len(waiting)]
        service = next(s for s in SERVICES if s.id == chosen.service_id)
        free = self._free(service)
        if not free:
            return
        try:
            self.booking.reschedule_held(chosen, free[pick % len(free)][0].start, Actor.system("test"), CONTEXT)
            event("rebooked")
        except Conflict as exc:
            event(f"rebook refused: {exc.code}")

    # --- invariants -------------------------------------------------------------------------------------------------
    @invariant()
    def every_booked_appointment_has_an_agent_holding_its_time(self) -> None:
        availability = self.booking.fresh_availability("OMAC")
        uncovered = [a.id for a in self.appointments() if a.is_active and not is_covered(availability, a)]
        assert uncovered == []

    @invariant()
    def taken_units_are_exactly_those_of_booked_appointments(self) -> None:
        rows = self.client.scan(TableName=physical_name("dev", "booking"), ConsistentRead=True)["Items"]
        taken = {
            (r["sk"]["S"].partition("#")[0], r["sk"]["S"].partition("#")[2]): r["appointment_id"]["S"]
            for r in rows
            if r["pk"]["S"].startswith("CAP#")
        }
        expected = {(u, a.agent): a.id for a in self.appointments() if a.is_active for u in a.units}
        assert taken == expected
        waiting = {r["sk"]["S"] for r in rows if r["pk"]["S"].startswith("REBOOK#")}
        assert waiting == {a.id for a in self.appointments() if a.status is Status.NEEDS_REBOOKING}

    @invariant()
    def citizens_counters_are_exact(self) -> None:
        rows = self.client.scan(TableName=physical_name("dev", "booking"), ConsistentRead=True)["Items"]
        active = {
            r["pk"]["S"][4:]: int(r["active"]["N"])
            for r in rows
            if r["pk"]["S"].startswith("CIT#") and r["sk"]["S"] == "ACTIVE" and int(r["active"]["N"])
        }
        held = Counter(a.citizen for a in self.appointments() if a.holds_place)
        assert active == dict(held)


CapacityMachine.TestCase.settings = settings(
    max_examples=20, stateful_step_count=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestCapacityMachine = CapacityMachine.TestCase


def test_time_helpers_are_in_the_council_zone() -> None:
    assert datetime.combine(DAY, time(9, 0), tzinfo=MADRID).utcoffset() is not None
