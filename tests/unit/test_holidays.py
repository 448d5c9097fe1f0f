"""The shipped public-holiday calendar: the days both offices stay closed."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.domain.calendar import HOLIDAYS_FILE, HolidayCalendar

YEARS = (2026, 2027)
EASTER_SUNDAY = {2026: date(2026, 4, 5), 2027: date(2027, 3, 28)}


@pytest.fixture(scope="module")
def calendar() -> HolidayCalendar:
    return HolidayCalendar.load()


def _raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(HOLIDAYS_FILE.read_text(encoding="utf-8"))
    return raw


def _entry(day: str, scope: str = "ES") -> dict[str, Any]:
    return {"date": day, "scope": scope, "name": {"ca": "Festa", "es": "Fiesta", "en": "Holiday"}}


def test_the_calendar_covers_this_year_and_next(calendar: HolidayCalendar) -> None:
    assert set(YEARS) <= calendar.years()


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),
        date(2026, 9, 11),  # Diada
        date(2026, 12, 25),
        date(2026, 12, 26),  # Sant Esteve
        date(2027, 6, 24),  # Sant Joan
        date(2027, 3, 29),  # Easter Monday
    ],
)
def test_well_known_holidays_close_the_offices(calendar: HolidayCalendar, day: date) -> None:
    assert calendar.is_holiday(day)


@pytest.mark.parametrize("day", [date(2026, 9, 10), date(2026, 12, 24), date(2027, 3, 30)])
def test_ordinary_days_are_not_holidays(calendar: HolidayCalendar, day: date) -> None:
    assert not calendar.is_holiday(day)


@pytest.mark.parametrize("year", YEARS)
def test_the_moveable_feasts_follow_easter(calendar: HolidayCalendar, year: int) -> None:
    sunday = EASTER_SUNDAY[year]

    assert calendar.is_holiday(sunday - timedelta(days=2))  # Good Friday
    assert calendar.is_holiday(sunday + timedelta(days=1))  # Easter Monday (Catalonia)
    assert calendar.is_holiday(sunday + timedelta(days=50))  # Whit Monday (the demo town's local holiday)


def test_no_date_is_listed_twice() -> None:
    dates = Counter(entry["date"] for entry in _raw()["holidays"])

    assert [day for day, times in dates.items() if times > 1] == []


@pytest.mark.parametrize("year", YEARS)
def test_two_local_holidays_a_year_on_working_days(calendar: HolidayCalendar, year: int) -> None:
    # A council picks its two local holidays (Estatuto de los Trabajadores, art. 37.2) on days it would be open.
    local = [h.day for h in calendar.holidays if h.scope == "LOCAL" and h.day.year == year]

    assert len(local) == 2
    assert all(day.weekday() < 5 for day in local)


@pytest.mark.parametrize("year", YEARS)
def test_no_more_than_fourteen_paid_holidays_a_year(calendar: HolidayCalendar, year: int) -> None:
    # Art. 37.2 caps paid holidays at fourteen; one falling on a Sunday is not a paid day off.
    paid = [h for h in calendar.holidays if h.day.year == year and h.day.weekday() != 6]

    assert len(paid) <= 14


def test_every_holiday_is_named_in_the_three_languages(calendar: HolidayCalendar) -> None:
    for holiday in calendar.holidays:
        assert all(text.strip() for text in holiday.name.as_dict().values()), holiday


def test_holidays_come_out_in_date_order() -> None:
    calendar = HolidayCalendar.parse({"holidays": [_entry("2026-12-25"), _entry("2026-01-01")]})

    assert [h.day for h in calendar.holidays] == [date(2026, 1, 1), date(2026, 12, 25)]


def test_an_unknown_scope_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown scope"):
        HolidayCalendar.parse({"holidays": [_entry("2026-03-19", scope="VALENCIA")]})


def test_a_date_listed_twice_is_rejected() -> None:
    with pytest.raises(ValueError, match="twice"):
        HolidayCalendar.parse({"holidays": [_entry("2026-12-25"), _entry("2026-12-25", scope="CT")]})
