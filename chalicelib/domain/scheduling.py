"""When a service can be booked: offices' hours, holidays, agents' shifts, and what is already taken.

Times are computed in the council's zone (Europe/Madrid) on wall-clock times and only then turned into instants,
so a 09:00 appointment is 09:00 in winter (+01:00) and in summer (+02:00) alike.

Capacity of a slot = the office's agents free for the whole slot. Each agent's time is cut into 5-minute units; an
appointment is given to one agent whose shift covers it whole and takes that agent's units for its duration plus
the buffer after it. Counting per agent (not per office) matters at hand-overs: when one agent leaves mid-slot and
another arrives, each unit still has an agent, but nobody can take the slot whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.calendar import HolidayCalendar
from chalicelib.domain.catalogue import Office, OfficeId, Service

UNIT_MINUTES = 5
Interval = tuple[time, time]


def parse_intervals(raw: Iterable[Iterable[str]]) -> tuple[Interval, ...]:
    spans = []
    for start, end in (tuple(pair) for pair in raw):
        a, b = time.fromisoformat(start), time.fromisoformat(end)
        if not a < b:
            raise ValueError(f"interval {start}-{end} does not end after it starts")
        spans.append((a, b))
    return tuple(sorted(spans))


@dataclass(frozen=True)
class ScheduleException:
    """Leave (no ``intervals``: the whole day) or extra hours on one day."""

    day: date
    kind: str  # "leave" | "extra"
    intervals: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class AgentSchedule:
    username: str
    office: OfficeId
    weekly: Mapping[int, tuple[Interval, ...]]
    exceptions: tuple[ScheduleException, ...] = ()

    def intervals_on(self, day: date) -> list[Interval]:
        spans = list(self.weekly.get(day.weekday(), ()))
        for exception in (e for e in self.exceptions if e.day == day):
            if exception.kind == "leave":
                spans = [] if not exception.intervals else _subtract(spans, exception.intervals)
            else:
                spans = _union([*spans, *exception.intervals])
        return spans


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _union(spans: Iterable[Interval]) -> list[Interval]:
    merged: list[list[int]] = []
    for a, b in sorted((_minutes(a), _minutes(b)) for a, b in spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(_time(a), _time(b)) for a, b in merged]


def _subtract(spans: Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    result = [(_minutes(a), _minutes(b)) for a, b in spans]
    for ha, hb in ((_minutes(a), _minutes(b)) for a, b in holes):
        pieces = []
        for a, b in result:
            if hb <= a or ha >= b:
                pieces.append((a, b))
                continue
            if a < ha:
                pieces.append((a, ha))
            if hb < b:
                pieces.append((hb, b))
        result = pieces
    return [(_time(a), _time(b)) for a, b in result]


def _intersect(xs: Iterable[Interval], ys: Iterable[Interval]) -> list[Interval]:
    out = []
    for xa, xb in xs:
        for ya, yb in ys:
            a, b = max(_minutes(xa), _minutes(ya)), min(_minutes(xb), _minutes(yb))
            if a < b:
                out.append((_time(a), _time(b)))
    return _union(out)


def unit_key(instant: datetime) -> str:
    """A capacity unit's key: its start in UTC, to the minute (unambiguous across DST changes)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


@dataclass(frozen=True)
class Slot:
    service_id: str
    office: OfficeId
    start: datetime  # aware, in the council's zone
    end: datetime
    agents: tuple[str, ...]  # usernames of the agents whose shift covers the whole slot
    units: tuple[str, ...]  # the 5-minute units it takes (duration + buffer), as unit keys

    def free_agents(self, taken: AbstractSet[tuple[str, str]]) -> list[str]:
        """Agents with none of the slot's units taken; ``taken`` holds (unit, agent) pairs."""
        return [a for a in self.agents if not any((u, a) in taken for u in self.units)]

    def remaining(self, taken: AbstractSet[tuple[str, str]]) -> int:
        return len(self.free_agents(taken))


@dataclass(frozen=True)
class Availability:
    """Everything needed to compute a service's slots, loaded once per request."""

    office: Office
    agents: tuple[AgentSchedule, ...]
    holidays: HolidayCalendar

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.office.timezone)

    def open_on(self, day: date) -> list[Interval]:
        if self.holidays.is_holiday(day, self.office.id):
            return []
        return list(parse_intervals(self.office.opening_hours.intervals.get(day.weekday(), ())))

    def shifts_on(self, day: date) -> dict[str, list[Interval]]:
        """Each agent's hours that day, within the office's opening hours."""
        opening = self.open_on(day)
        return {
            agent.username: _intersect(agent.intervals_on(day), opening)
            for agent in self.agents
            if agent.office == self.office.id
        }

    def covering(self, start: datetime, end: datetime) -> list[str]:
        """The agents whose hours (within the office's) hold the whole of [start, end), by name."""
        local_start, local_end = start.astimezone(self.zone), end.astimezone(self.zone)
        if local_start.date() != local_end.date() and local_end.time() != time(0, 0):
            return []
        a, b = _minutes(local_start.time()), _minutes(local_end.time()) or 24 * 60
        return sorted(
            name
            for name, spans in self.shifts_on(local_start.date()).items()
            if any(_minutes(x) <= a and b <= _minutes(y) for x, y in spans)
        )

    def slots_on(self, service: Service, day: date) -> list[Slot]:
        zone = self.zone
        shifts = self.shifts_on(day)
        step = service.duration_minutes + service.buffer_minutes
        slots = []
        for open_start, open_end in self.open_on(day):
            begin, close = _minutes(open_start), _minutes(open_end)
            for start in range(begin, close - service.duration_minutes + 1, step):
                end = start + service.duration_minutes
                covering = tuple(
                    name
                    for name, spans in shifts.items()
                    if any(_minutes(a) <= start and end <= _minutes(b) for a, b in spans)
                )
                if not covering:
                    continue
                taken_until = min(close, end + service.buffer_minutes)
                unit_minutes = range(start - start % UNIT_MINUTES, taken_until, UNIT_MINUTES)
                slots.append(
                    Slot(
                        service_id=service.id,
                        office=self.office.id,
                        start=datetime.combine(day, _time(start), tzinfo=zone),
                        end=datetime.combine(day, _time(end), tzinfo=zone),
                        agents=covering,
                        units=tuple(unit_key(datetime.combine(day, _time(m), tzinfo=zone)) for m in unit_minutes),
                    )
                )
        return slots

    def bookable_days(self, service: Service, now: datetime, first: date, last: date) -> list[date]:
        """The days of [first, last] within the service's horizon (counted in the council's calendar)."""
        today = now.astimezone(self.zone).date()
        last = min(last, today + timedelta(days=service.horizon_days))
        first = max(first, today)
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def bookable_slots(self, service: Service, now: datetime, first: date, last: date) -> list[Slot]:
        earliest = now + timedelta(minutes=service.min_notice_minutes)
        return [
            slot
            for day in self.bookable_days(service, now, first, last)
            for slot in self.slots_on(service, day)
            if slot.start >= earliest
        ]

    def slot_at(self, service: Service, start: datetime, now: datetime) -> Slot | None:
        """The slot that starts exactly at ``start`` if the service offers it then (notice and horizon included)."""
        local = start.astimezone(self.zone)
        for slot in self.bookable_slots(service, now, local.date(), local.date()):
            if slot.start == local:
                return slot
        return None
