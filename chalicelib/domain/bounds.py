"""How far a date, a time or a text given to the API may reach: one place for every window, checked at the edge.

A date the service cannot mean (year 9999, year 1) is the caller's mistake, answered 422 naming the field; it must
never reach arithmetic that overflows (``date.max + 1 day``) or a loop over every day in between. The windows:

- booking: slots, a booking's or a change's start: from the day before today (a browser a time zone behind the
  council) to the longest horizon a service may have (366 days, ``Service.horizon_days``) and a day more;
- records: recordings, the audit trail's periods: within the service's life, from 2020-01-01 (before the first
  record) to tomorrow; an office's agenda from the same first day to the last bookable one;
- tax: a debt's voluntary period, an instalment's first due date, a direct debit's dates: ten years either way.

Texts have a length per field (``MAX_TEXT``) so nobody stores a megabyte in a name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.errors import FieldError, ValidationFailed

SERVICE_START = date(2020, 1, 1)
BOOKING_HORIZON_DAYS = 366  # the longest ``horizon_days`` a service may have
TAX_YEARS = 10
# A query parameter that is no date or time still has a sane length: longer ones are refused before parsing.
MAX_QUERY_CHARS = 64
# The longest period the audit trail is searched, exported or verified for at once.
MAX_PERIOD_DAYS = 31
# The longest period the supervisor's figures are computed for at once (a quarter).
MAX_STATS_DAYS = 92
# Free texts: reasons, names, file names, search filters.
MAX_TEXT = {"name": 120, "filename": 120, "reason": 500, "filter": 200, "cursor": 512}

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Window:
    """The days a date may be in, both included; ``key`` names the error's text (``validation.<key>``)."""

    earliest: date
    latest: date
    key: str
    years: int | None = None

    def check(self, day: date, field: str) -> date:
        if not self.earliest <= day <= self.latest:
            raise ValidationFailed([self.error(field)])
        return day

    def error(self, field: str) -> FieldError:
        extra = {} if self.years is None else {"years": self.years}
        return FieldError(field, self.key, earliest=self.earliest.isoformat(), latest=self.latest.isoformat(), **extra)


def booking_window(today: date) -> Window:
    return Window(
        today - timedelta(days=1),
        today + timedelta(days=BOOKING_HORIZON_DAYS + 1),
        "window_booking",
    )


def records_window(today: date) -> Window:
    return Window(SERVICE_START, today + timedelta(days=1), "window_records")


def agenda_window(today: date) -> Window:
    """An office's days: every past day of the service and every day that can be booked."""
    return Window(SERVICE_START, today + timedelta(days=BOOKING_HORIZON_DAYS + 1), "window_agenda")


def tax_window(today: date) -> Window:
    return Window(_years(today, -TAX_YEARS), _years(today, TAX_YEARS), "window_tax", TAX_YEARS)


def _years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def parse_day(raw: object, field: str, window: Window) -> date:
    """A ``YYYY-MM-DD`` date within ``window``, or ``ValidationFailed`` naming ``field``."""
    if not isinstance(raw, str) or not _DAY.match(raw):
        raise ValidationFailed([FieldError(field, "date_format")])
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed([FieldError(field, "real_date")]) from None
    return window.check(day, field)


def parse_instant(raw: object, field: str, window: Window, zone: ZoneInfo) -> datetime:
    """An RFC 3339 time with its offset whose council day is within ``window``."""
    if not isinstance(raw, str) or len(raw) > MAX_QUERY_CHARS:
        raise ValidationFailed([FieldError(field, "instant_format")])
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        raise ValidationFailed([FieldError(field, "instant_format")]) from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationFailed([FieldError(field, "instant_format")])
    # Far dates first by their own calendar day, so converting them (year 9999 + 2 h) cannot overflow.
    if not window.earliest - timedelta(days=1) <= at.date() <= window.latest + timedelta(days=1):
        raise ValidationFailed([window.error(field)])
    window.check(at.astimezone(zone).date(), field)
    return at


def period_bound(raw: str, field: str, window: Window, zone: ZoneInfo, end: bool) -> datetime:
    """A period's start or end: a council day (its midnight; the next one for an end) or an RFC 3339 time."""
    if _DAY.match(raw):
        day = parse_day(raw, field, window)
        return datetime.combine(day + timedelta(days=1 if end else 0), time(), zone)
    return parse_instant(raw, field, window, zone)


def parse_period(
    params: Mapping[str, object],
    today: date,
    zone: ZoneInfo,
    *,
    window: Window | None = None,
    max_days: int = MAX_PERIOD_DAYS,
    days_only: bool = False,
) -> tuple[datetime, datetime]:
    """The period ``from`` to ``to`` asked of the audit trail (council days or RFC 3339 times; each today if absent):
    within ``window`` (the records window unless told), ``to`` after ``from`` and at most ``max_days`` later.
    ``days_only``: both must be council days (``YYYY-MM-DD``, ``to`` included), as the supervisor's figures ask."""
    window = window or records_window(today)
    errors = []
    bounds: list[datetime] = []
    for name in ("from", "to"):
        raw = params.get(name)
        try:
            if raw is not None and not isinstance(raw, str):
                raise ValidationFailed([FieldError(name, "date_or_time")])
            given = (raw or "").strip() or today.isoformat()
            if days_only and not _DAY.match(given):
                raise ValidationFailed([FieldError(name, "date_format")])
            bounds.append(period_bound(given, name, window, zone, end=name == "to"))
        except ValidationFailed as exc:
            errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    start, end = bounds
    if end <= start and days_only:
        raise ValidationFailed([FieldError("to", "not_before_from")])
    if end <= start:
        raise ValidationFailed([FieldError("to", "after_from")])
    if end - start > timedelta(days=max_days):
        raise ValidationFailed([FieldError("to", "period_too_long", days=max_days)])
    return start, end


def text(raw: object, field: str, *, low: int = 1, high: int | None = None, kind: str = "name") -> str:
    """A text of ``low`` to ``high`` characters (by default the kind's maximum), stripped of surrounding space."""
    top = high if high is not None else MAX_TEXT[kind]
    value = raw.strip() if isinstance(raw, str) else ""
    if not low <= len(value) <= top:
        raise ValidationFailed([FieldError(field, "length", low=low, high=top)])
    return value


def today_in(zone: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone).date()
