"""When a service can be booked: council time on both sides of the DST changes, holidays, notice, horizon, agents."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.calendar import HolidayCalendar
from chalicelib.domain.catalogue import Assurance, Office, OfficeId, Service, Text, WeeklyHours
from chalicelib.domain.scheduling import AgentSchedule, Availability, ScheduleException, Slot, parse_intervals, unit_key

MADRID = ZoneInfo("Europe/Madrid")
Hours = Mapping[int, tuple[tuple[str, str], ...]]  # weekday (0 = Monday) → ("HH:MM", "HH:MM") spans

MORNING = (("09:00", "14:00"),)
# The demo OMAC: mornings on weekdays, Thursday afternoons too; closed at weekends.
OPENING: Hours = {0: MORNING, 1: MORNING, 2: MORNING, 3: (*MORNING, ("16:00", "19:00")), 4: MORNING}
HOLIDAYS = HolidayCalendar.load()

# Weekdays of the dates used below, checked in test_the_dates_used_here_are_what_the_tests_say.
NORMAL_MONDAY = date(2026, 11, 30)
WINTER_THURSDAY_BEFORE_MARCH_CHANGE = date(2027, 3, 25)  # Friday 26 is Good Friday, a holiday
MARCH_CHANGE = date(2027, 3, 28)  # Sunday: clocks go 02:00 → 03:00
SUMMER_TUESDAY_AFTER_MARCH_CHANGE = date(2027, 3, 30)  # Monday 29 is Easter Monday, a holiday
SUMMER_FRIDAY_BEFORE_OCTOBER_CHANGE = date(2026, 10, 23)
OCTOBER_CHANGE = date(2026, 10, 25)  # Sunday: clocks go 03:00 → 02:00
WINTER_MONDAY_AFTER_OCTOBER_CHANGE = date(2026, 10, 26)


def office(opening: Hours = OPENING) -> Office:
    text = Text(ca="OMAC", es="OMAC", en="OMAC")
    return Office("OMAC", text, "Plaça de la Vila, 1", "Europe/Madrid", WeeklyHours(dict(opening)))


def agent(
    username: str,
    weekly: Hours,
    *exceptions: ScheduleException,
    at: OfficeId = "OMAC",
) -> AgentSchedule:
    return AgentSchedule(username, at, {day: parse_intervals(spans) for day, spans in weekly.items()}, exceptions)


def leave(day: date, *spans: tuple[str, str]) -> ScheduleException:
    return ScheduleException(day, "leave", parse_intervals(spans))


def extra(day: date, *spans: tuple[str, str]) -> ScheduleException:
    return ScheduleException(day, "extra", parse_intervals(spans))


# Like the demo staff: Laia every opening hour; Pau on Monday, Wednesday and Friday mornings and Thursday afternoons.
LAIA: Hours = {0: MORNING, 1: MORNING, 2: MORNING, 3: (*MORNING, ("16:00", "19:00")), 4: MORNING}
PAU: Hours = {0: MORNING, 2: MORNING, 3: (("16:00", "19:00"),), 4: MORNING}


def availability(*agents: AgentSchedule) -> Availability:
    return Availability(office(), agents or (agent("laia", LAIA), agent("pau", PAU)), HOLIDAYS)


def service(duration: int = 15, buffer: int = 5, notice: int = 120, horizon: int = 60) -> Service:
    text = Text(ca="Certificat", es="Certificado", en="Certificate")
    return Service(
        id="residence-certificate",
        office="OMAC",
        name=text,
        description=text,
        duration_minutes=duration,
        min_assurance=Assurance.LOW,
        buffer_minutes=buffer,
        min_notice_minutes=notice,
        horizon_days=horizon,
    )


def local(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=MADRID)


def starts(slots: list[Slot]) -> list[str]:
    return [s.start.strftime("%H:%M") for s in slots]


def by_start(slots: list[Slot]) -> dict[str, Slot]:
    return {s.start.strftime("%H:%M"): s for s in slots}


def test_the_dates_used_here_are_what_the_tests_say() -> None:
    assert NORMAL_MONDAY.weekday() == 0
    assert WINTER_THURSDAY_BEFORE_MARCH_CHANGE.weekday() == 3
    assert MARCH_CHANGE.weekday() == OCTOBER_CHANGE.weekday() == 6
    assert SUMMER_TUESDAY_AFTER_MARCH_CHANGE.weekday() == 1
    assert SUMMER_FRIDAY_BEFORE_OCTOBER_CHANGE.weekday() == 4
    assert WINTER_MONDAY_AFTER_OCTOBER_CHANGE.weekday() == 0
    assert HOLIDAYS.is_holiday(date(2027, 3, 26))  # Good Friday
    assert HOLIDAYS.is_holiday(date(2027, 3, 29))  # Easter Monday


# --- a normal weekday ------------------------------------------------------------------------------------------------


def test_a_weekday_starts_at_opening_and_steps_by_duration_plus_buffer() -> None:
    slots = availability().slots_on(service(duration=15, buffer=5), NORMAL_MONDAY)

    assert slots[0].start == local(NORMAL_MONDAY, "09:00")
    assert slots[0].start.isoformat() == "2026-11-30T09:00:00+01:00"
    assert [b.start - a.start for a, b in itertools.pairwise(slots)] == [timedelta(minutes=20)] * 14
    assert starts(slots)[-1] == "13:40"  # 13:40-13:55; 14:00 would end after closing
    assert all(s.end - s.start == timedelta(minutes=15) for s in slots)


def test_no_slot_ends_after_closing_and_the_last_buffer_is_cut_at_closing() -> None:
    slots = availability().slots_on(service(duration=20, buffer=5), NORMAL_MONDAY)

    assert all(s.end <= local(NORMAL_MONDAY, "14:00") for s in slots)
    last = slots[-1]
    assert starts([last]) == ["13:35"]  # 09:00 + 11 steps of 25 min; ends 13:55
    assert last.units[-1] == unit_key(local(NORMAL_MONDAY, "13:55"))  # buffer 13:55-14:00 only


def test_thursday_has_afternoon_slots_from_the_second_opening() -> None:
    thursday = NORMAL_MONDAY + timedelta(days=3)

    slots = starts(availability().slots_on(service(), thursday))

    assert slots[0] == "09:00"
    assert "16:00" in slots
    assert not any("14:00" <= s < "16:00" for s in slots)
    assert slots[-1] == "18:40"


def test_each_slot_counts_the_agents_who_cover_it_whole() -> None:
    tuesday = NORMAL_MONDAY + timedelta(days=1)

    monday_slots = availability().slots_on(service(), NORMAL_MONDAY)
    tuesday_slots = availability().slots_on(service(), tuesday)

    assert {s.agents for s in monday_slots} == {("laia", "pau")}
    assert {s.agents for s in tuesday_slots} == {("laia",)}  # Pau does not work on Tuesdays


def test_a_slot_takes_its_duration_and_buffer_in_five_minute_units() -> None:
    slot = availability().slots_on(service(duration=15, buffer=5), NORMAL_MONDAY)[0]

    assert slot.units == ("2026-11-30T08:00Z", "2026-11-30T08:05Z", "2026-11-30T08:10Z", "2026-11-30T08:15Z")


def test_weekends_have_no_slots() -> None:
    saturday, sunday = NORMAL_MONDAY - timedelta(days=2), NORMAL_MONDAY - timedelta(days=1)

    assert availability().slots_on(service(), saturday) == []
    assert availability().slots_on(service(), sunday) == []


# --- daylight saving time --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "offset", "first_unit"),
    [
        (WINTER_THURSDAY_BEFORE_MARCH_CHANGE, "+01:00", "2027-03-25T08:00Z"),
        (SUMMER_TUESDAY_AFTER_MARCH_CHANGE, "+02:00", "2027-03-30T07:00Z"),
        (SUMMER_FRIDAY_BEFORE_OCTOBER_CHANGE, "+02:00", "2026-10-23T07:00Z"),
        (WINTER_MONDAY_AFTER_OCTOBER_CHANGE, "+01:00", "2026-10-26T08:00Z"),
    ],
)
def test_around_a_dst_change_the_first_slot_is_at_nine_council_time(day: date, offset: str, first_unit: str) -> None:
    first = availability().slots_on(service(), day)[0]

    assert first.start.isoformat() == f"{day.isoformat()}T09:00:00{offset}"
    assert first.end.isoformat() == f"{day.isoformat()}T09:15:00{offset}"
    assert first.units[0] == first_unit  # capacity is keyed in UTC: 09:00 is 08:00Z in winter, 07:00Z in summer


@pytest.mark.parametrize("day", [MARCH_CHANGE, OCTOBER_CHANGE])
def test_the_day_of_a_dst_change_is_a_sunday_without_slots(day: date) -> None:
    assert availability().slots_on(service(), day) == []


def test_unit_keys_are_utc_minutes_whatever_the_offset() -> None:
    assert unit_key(local(NORMAL_MONDAY, "09:00")) == "2026-11-30T08:00Z"
    assert unit_key(local(SUMMER_TUESDAY_AFTER_MARCH_CHANGE, "09:00")) == "2027-03-30T07:00Z"
    assert unit_key(datetime(2027, 3, 30, 7, 0, tzinfo=UTC)) == "2027-03-30T07:00Z"


@pytest.mark.parametrize(
    ("first", "last", "change"),
    [(date(2027, 3, 22), date(2027, 4, 2), MARCH_CHANGE), (date(2026, 10, 19), date(2026, 10, 30), OCTOBER_CHANGE)],
)
def test_a_range_across_a_dst_change_keeps_every_day_at_nine_with_its_own_offset(
    first: date, last: date, change: date
) -> None:
    now = local(first, "00:00") - timedelta(days=1)

    slots = availability().bookable_slots(service(), now, first, last)

    firsts: dict[date, Slot] = {}
    for slot in slots:
        firsts.setdefault(slot.start.date(), slot)
        summer = (slot.start.date() > change) == (change.month == 3)
        assert slot.start.utcoffset() == slot.end.utcoffset() == timedelta(hours=2 if summer else 1)
    assert firsts
    for day, slot in firsts.items():
        summer = (day > change) == (change.month == 3)
        assert slot.start.strftime("%H:%M") == "09:00"
        assert slot.units[0] == f"{day.isoformat()}T{'07' if summer else '08'}:00Z"
    # every weekday of the range that is not a holiday has its slots
    open_days = [
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if (first + timedelta(days=i)).weekday() < 5 and not HOLIDAYS.is_holiday(first + timedelta(days=i))
    ]
    assert sorted(firsts) == open_days


def test_march_range_skips_good_friday_and_easter_monday() -> None:
    now = local(date(2027, 3, 20), "12:00")

    days = {s.start.date() for s in availability().bookable_slots(service(), now, date(2027, 3, 25), date(2027, 3, 30))}

    assert days == {WINTER_THURSDAY_BEFORE_MARCH_CHANGE, SUMMER_TUESDAY_AFTER_MARCH_CHANGE}


# --- holidays, notice and horizon ------------------------------------------------------------------------------------


@pytest.mark.parametrize("holiday", [date(2026, 12, 8), date(2026, 12, 25)])
def test_a_holiday_has_no_slots(holiday: date) -> None:
    assert holiday.weekday() < 5
    assert availability().slots_on(service(), holiday) == []
    assert availability().slots_on(service(), holiday - timedelta(days=7))  # the same weekday a week before has


def test_nothing_starts_sooner_than_the_minimum_notice() -> None:
    now = local(NORMAL_MONDAY, "08:00").astimezone(UTC)

    slots = availability().bookable_slots(service(notice=120), now, NORMAL_MONDAY, NORMAL_MONDAY)

    assert starts(slots)[0] == "10:00"  # exactly now + 2 h is still offered
    assert all(s.start >= now + timedelta(minutes=120) for s in slots)


def test_a_slot_one_minute_inside_the_notice_is_not_offered() -> None:
    now = local(NORMAL_MONDAY, "08:01")

    slots = availability().bookable_slots(service(notice=120), now, NORMAL_MONDAY, NORMAL_MONDAY)

    assert starts(slots)[0] == "10:20"


def test_past_days_are_never_offered() -> None:
    now = local(NORMAL_MONDAY, "12:00")

    slots = availability().bookable_slots(service(notice=0), now, NORMAL_MONDAY - timedelta(days=7), NORMAL_MONDAY)

    assert {s.start.date() for s in slots} == {NORMAL_MONDAY}
    assert starts(slots)[0] == "12:00"


def test_nothing_is_offered_beyond_the_horizon() -> None:
    now = local(NORMAL_MONDAY, "08:00")

    slots = availability().bookable_slots(service(horizon=4), now, NORMAL_MONDAY, NORMAL_MONDAY + timedelta(days=30))

    assert max(s.start.date() for s in slots) == NORMAL_MONDAY + timedelta(days=4)  # Friday 4 December
    assert availability().bookable_days(service(horizon=4), now, NORMAL_MONDAY, date(2027, 1, 31))[-1] == date(
        2026, 12, 4
    )


def test_slot_at_finds_an_offered_time_given_in_any_offset() -> None:
    now = local(NORMAL_MONDAY, "08:00")
    wanted = local(NORMAL_MONDAY, "11:00").astimezone(UTC)

    found = availability().slot_at(service(), wanted, now)

    assert found is not None
    assert found.start == wanted
    assert found.start.utcoffset() == timedelta(hours=1)
    assert availability().slot_at(service(), wanted + timedelta(minutes=5), now) is None  # off the grid
    assert availability().slot_at(service(), local(NORMAL_MONDAY, "09:00"), now) is None  # inside the notice


# --- agents' leave and extra hours -----------------------------------------------------------------------------------


def test_a_whole_day_of_leave_halves_the_capacity() -> None:
    slots = availability(agent("laia", LAIA), agent("pau", PAU, leave(NORMAL_MONDAY))).slots_on(
        service(), NORMAL_MONDAY
    )

    assert slots
    assert {s.agents for s in slots} == {("laia",)}


def test_with_everyone_on_leave_there_are_no_slots() -> None:
    slots = availability(agent("laia", LAIA, leave(NORMAL_MONDAY)), agent("pau", PAU, leave(NORMAL_MONDAY))).slots_on(
        service(), NORMAL_MONDAY
    )

    assert slots == []


def test_a_partial_leave_lowers_only_the_slots_it_touches() -> None:
    pau = agent("pau", PAU, leave(NORMAL_MONDAY, ("10:50", "11:10")))

    slots = by_start(availability(agent("laia", LAIA), pau).slots_on(service(), NORMAL_MONDAY))

    assert slots["10:20"].agents == ("laia", "pau")
    assert slots["10:40"].agents == ("laia",)  # 10:40-10:55: Pau leaves at 10:50
    assert slots["11:00"].agents == ("laia",)  # 11:00-11:15: Pau is back at 11:10
    assert slots["11:20"].agents == ("laia", "pau")


def test_extra_hours_add_an_agent_only_within_opening_hours() -> None:
    tuesday = NORMAL_MONDAY + timedelta(days=1)  # Pau does not work on Tuesdays
    pau = agent("pau", PAU, extra(tuesday, ("09:00", "11:00"), ("14:00", "16:00")))

    slots = availability(agent("laia", LAIA), pau).slots_on(service(), tuesday)

    agents = {s.start.strftime("%H:%M"): s.agents for s in slots}
    assert agents["09:00"] == agents["10:40"] == ("laia", "pau")
    assert agents["11:00"] == ("laia",)
    assert max(s.end for s in slots) <= local(tuesday, "14:00")  # 14:00-16:00 is outside opening hours


def test_extra_hours_on_a_closed_day_open_nothing() -> None:
    saturday = NORMAL_MONDAY + timedelta(days=5)

    slots = availability(agent("laia", LAIA), agent("pau", PAU, extra(saturday, ("09:00", "13:00")))).slots_on(
        service(), saturday
    )

    assert slots == []


def test_an_agent_of_another_office_adds_no_capacity() -> None:
    tax_agent = agent("marta", LAIA, at="OGAT")

    slots = availability(agent("laia", LAIA), tax_agent).slots_on(service(), NORMAL_MONDAY)

    assert {s.agents for s in slots} == {("laia",)}


@pytest.mark.parametrize("day", [NORMAL_MONDAY + timedelta(days=i) for i in range(5)])
def test_capacity_never_exceeds_the_agents_on_duty(day: date) -> None:
    agents = (
        agent("laia", LAIA, leave(day, ("11:00", "12:00"))),
        agent("pau", PAU, extra(day, ("13:00", "18:00"))),
        agent("marta", dict.fromkeys(range(7), (("08:00", "20:00"),)), at="OGAT"),
    )
    avail = availability(*agents)

    for slot in avail.slots_on(service(), day):
        assert slot.agents
        for name in slot.agents:
            # every agent counted is of this office and on duty, within opening hours, for the whole slot
            shifts = avail.shifts_on(day)[name]
            start, end = slot.start.time(), slot.end.time()
            assert any(a <= start and end <= b for a, b in shifts), (name, slot.start)
        assert "marta" not in slot.agents


# --- what is left of a slot ------------------------------------------------------------------------------------------


def taken_by(agent_name: str, slot: Slot, *units: str) -> set[tuple[str, str]]:
    return {(u, agent_name) for u in (units or slot.units)}


def test_remaining_counts_the_agents_with_the_whole_slot_free() -> None:
    slot = availability().slots_on(service(), NORMAL_MONDAY)[0]  # Laia and Pau
    first, *_, last = slot.units

    assert slot.remaining(set()) == 2
    assert slot.free_agents(taken_by("laia", slot)) == ["pau"]
    assert slot.remaining(taken_by("pau", slot, last)) == 1  # one unit of Pau's buffer is enough to rule him out
    assert slot.remaining(taken_by("laia", slot, first) | taken_by("pau", slot, first)) == 0
    assert slot.remaining({("2026-11-30T07:55Z", "laia"), (first, "marta")}) == 2  # another time, another agent


def test_a_slot_that_nobody_can_take_is_not_offered_at_all() -> None:
    agents = (agent("laia", LAIA, leave(NORMAL_MONDAY, ("10:50", "11:00"))), agent("pau", PAU, leave(NORMAL_MONDAY)))

    slots = by_start(availability(*agents).slots_on(service(), NORMAL_MONDAY))

    assert "10:40" not in slots  # Laia is away 10:50-11:00
    assert slots["11:00"].agents == ("laia",)


def test_a_handover_mid_slot_does_not_let_two_citizens_book_one_agent() -> None:
    # Laia works all morning; Pau leaves at 10:50 and Marta starts at 10:50: only Laia can take 10:40-10:55 whole.
    agents = (
        agent("laia", LAIA),
        agent("pau", PAU, leave(NORMAL_MONDAY, ("10:50", "14:00"))),
        agent("marta", PAU, leave(NORMAL_MONDAY, ("09:00", "10:50"))),
    )
    slot = by_start(availability(*agents).slots_on(service(), NORMAL_MONDAY))["10:40"]

    assert slot.agents == ("laia",)
    assert slot.remaining(taken_by("laia", slot)) == 0
