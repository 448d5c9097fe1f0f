"""The capacity rules on values: which appointments lose their agent's time, who takes them, who must rebook."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.appointments import Appointment, Contact, Status
from chalicelib.domain.calendar import Holiday, HolidayCalendar, parse_year
from chalicelib.domain.capacity import (
    MAX_SERVICE_MINUTES,
    MAX_UNITS,
    NEEDS_REBOOKING,
    REASSIGNED,
    TRANSACTION_ITEMS,
    move_items,
    plan,
    suspend_items,
    uncovered,
)
from chalicelib.domain.catalogue import Assurance, Office, Service, Text, WeeklyHours
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.scheduling import AgentSchedule, Availability, ScheduleException, parse_intervals

MADRID = ZoneInfo("Europe/Madrid")
DAY = date(2030, 1, 9)  # a Wednesday
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=MADRID)
OFFICE = Office("OMAC", Text(ca="OMAC"), "", "Europe/Madrid", WeeklyHours({2: (("09:00", "14:00"),)}))
SERVICE = Service("svc", "OMAC", Text(ca="S"), Text(ca="S"), 20, Assurance.LOW, min_notice_minutes=0)


def agent(name: str, *spans: tuple[str, str], leave: tuple[tuple[str, str], ...] | None = None) -> AgentSchedule:
    exceptions = () if leave is None else (ScheduleException(DAY, "leave", parse_intervals(leave)),)
    return AgentSchedule(name, "OMAC", {2: parse_intervals(spans or (("09:00", "14:00"),))}, exceptions)


def availability(*agents: AgentSchedule, holidays: HolidayCalendar | None = None) -> Availability:
    return Availability(OFFICE, agents, holidays or HolidayCalendar(()))


def booked(at: str, who: str, n: int = 0) -> Appointment:
    slot = next(s for s in availability(agent(who)).slots_on(SERVICE, DAY) if s.start.time() == time.fromisoformat(at))
    return Appointment(
        id=f"a{n}",
        service_id="svc",
        office="OMAC",
        start=slot.start,
        end=slot.end,
        status=Status.BOOKED,
        citizen=f"C{n}",
        citizen_contact=None,
        contact=Contact(),
        language="ca",
        agent=who,
        units=slot.units,
        created_at=NOW,
        created_by="staff:test",
    )


def taken(*appointments: Appointment) -> set[tuple[str, str]]:
    return {(u, a.agent) for a in appointments for u in a.units}


def test_a_covered_appointment_is_left_alone() -> None:
    a = booked("09:00", "ana")
    assert plan(availability(agent("ana"), agent("ben")), [a], taken(a), NOW) == []


def test_leave_moves_the_appointment_to_the_least_busy_free_agent() -> None:
    a, b = booked("09:00", "ana", 0), booked("09:25", "ben", 1)
    after = availability(agent("ana", leave=()), agent("ben"), agent("cai"))

    decisions = plan(after, [a, b], taken(a, b), NOW)

    assert [(d.appointment_id, d.action, d.agent) for _, d in decisions] == [("a0", REASSIGNED, "cai")]


def test_nobody_free_means_needs_rebooking() -> None:
    a, b = booked("09:00", "ana", 0), booked("09:00", "ben", 1)
    after = availability(agent("ana", leave=()), agent("ben"))

    assert [(d.action, d.agent) for _, d in plan(after, [a, b], taken(a, b), NOW)] == [(NEEDS_REBOOKING, None)]


def test_two_displaced_appointments_never_get_the_same_free_agent() -> None:
    a, b = booked("09:00", "ana", 0), booked("09:00", "ben", 1)
    after = availability(agent("ana", leave=()), agent("ben", leave=()), agent("cai"))

    actions = sorted((d.action, d.agent or "") for _, d in plan(after, [a, b], taken(a, b), NOW))

    assert actions == [(NEEDS_REBOOKING, ""), (REASSIGNED, "cai")]


def test_an_agent_who_holds_only_part_of_the_time_does_not_take_it() -> None:
    a = booked("10:40", "ana")
    after = availability(agent("ana", leave=()), agent("ben", ("11:00", "14:00")))

    assert [d.action for _, d in plan(after, [a], taken(a), NOW)] == [NEEDS_REBOOKING]


def test_part_day_leave_and_shorter_hours_uncover_only_what_they_overlap() -> None:
    early, late = booked("09:00", "ana", 0), booked("12:20", "ana", 1)
    part = availability(agent("ana", leave=(("09:00", "10:00"),)))
    shorter = Availability(
        Office("OMAC", Text(ca="OMAC"), "", "Europe/Madrid", WeeklyHours({2: (("09:00", "12:00"),)})),
        (agent("ana"),),
        HolidayCalendar(()),
    )

    assert [a.id for a in uncovered(part, [early, late], NOW)] == ["a0"]
    assert [a.id for a in uncovered(shorter, [early, late], NOW)] == ["a1"]


def test_a_holiday_of_this_office_uncovers_everything_and_one_of_another_office_nothing() -> None:
    a = booked("09:00", "ana")
    ours = HolidayCalendar((Holiday(DAY, "LOCAL", Text(ca="Festa"), "OMAC"),))
    theirs = HolidayCalendar((Holiday(DAY, "LOCAL", Text(ca="Festa"), "OGAT"),))

    assert uncovered(availability(agent("ana"), holidays=ours), [a], NOW) == [a]
    assert uncovered(availability(agent("ana"), holidays=theirs), [a], NOW) == []


def test_past_cancelled_and_waiting_appointments_are_not_touched() -> None:
    a = booked("09:00", "ana")
    gone = availability(agent("ana", leave=()))
    later = a.start + timedelta(minutes=1)

    assert uncovered(gone, [a], later) == []
    from dataclasses import replace

    assert uncovered(gone, [replace(a, status=Status.CANCELLED)], NOW) == []
    assert uncovered(gone, [replace(a, status=Status.NEEDS_REBOOKING)], NOW) == []


def test_the_longest_service_fits_in_one_transaction() -> None:
    # duration + buffer ≤ 240 minutes: 48 units on the 5-minute grid, 49 when it starts off it (09:03)
    assert MAX_UNITS == 49
    assert move_items(MAX_UNITS) <= TRANSACTION_ITEMS
    assert suspend_items(MAX_UNITS) <= TRANSACTION_ITEMS
    office = Office("OMAC", Text(ca="OMAC"), "", "Europe/Madrid", WeeklyHours({2: (("09:03", "14:00"),)}))
    longest = Service(
        "long", "OMAC", Text(ca="L"), Text(ca="L"), MAX_SERVICE_MINUTES - 5, Assurance.LOW, buffer_minutes=5
    )
    slots = Availability(office, (agent("ana"),), HolidayCalendar(())).slots_on(longest, DAY)
    assert max(len(s.units) for s in slots) <= MAX_UNITS


def test_holiday_lists_are_checked_field_by_field() -> None:
    good = parse_year(
        [{"date": "2030-05-02", "name": {"ca": "Festa"}, "scope": "local", "office": "OMAC"}], 2030, ["OMAC"]
    )
    assert good == (Holiday(date(2030, 5, 2), "LOCAL", Text(ca="Festa"), "OMAC"),)
    with pytest.raises(ValidationFailed) as refused:
        parse_year(
            [
                {"date": "2031-01-01", "name": {"ca": "X"}, "scope": "local"},
                {"date": "2030-02-30", "name": {}, "scope": "national"},
                {"date": "2030-03-01", "name": {"ca": "X"}, "scope": "cosmic", "office": "NOPE"},
            ],
            2030,
            ["OMAC"],
        )
    assert {e.field for e in refused.value.errors} == {
        "items.0.date",
        "items.1.date",
        "items.1.name.ca",
        "items.2.scope",
        "items.2.office",
    }
    with pytest.raises(ValidationFailed):
        parse_year([{"date": "2030-03-01", "name": {"ca": "X"}, "scope": "local"}] * 2, 2030, [])
