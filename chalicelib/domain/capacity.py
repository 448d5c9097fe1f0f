"""Capacity rules: what happens to booked appointments when the time under them goes away.

Leave, shorter shifts or opening hours, a new holiday or a disabled agent can leave a booked appointment without an
agent whose hours hold its whole time. Each such appointment moves to another agent of the office who is free for
all of its units (time, service and citizen unchanged; nobody is told), or, when nobody is, it becomes
``needs_rebooking``: its agent's units are freed, it still counts in the citizen's limits, and the citizen is asked to
choose another time. The plan is computed here, on values; the capacity service writes it one appointment per
transaction.

Transaction size: a move deletes the old agent's units, puts the new agent's and updates the appointment
(2 * units + 1 items); a service takes at most ``MAX_SERVICE_MINUTES`` (duration + buffer), which is at most 49
5-minute units even when it starts off the 5-minute grid, so 99 items: within DynamoDB's 100.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.appointments import Appointment
from chalicelib.domain.scheduling import UNIT_MINUTES, Availability

REASSIGNED, NEEDS_REBOOKING, CANCELLED = "reassigned", "needs_rebooking", "cancelled"
ACTIONS = (REASSIGNED, NEEDS_REBOOKING, CANCELLED)
# Why an appointment lost its time (the supervisor's list shows it).
REASONS = ("schedule", "leave", "holiday", "office_hours", "agent_disabled", "capacity")
MAX_SERVICE_MINUTES = 240  # duration + buffer of the longest service
MAX_UNITS = MAX_SERVICE_MINUTES // UNIT_MINUTES + 1  # one more when the start is off the 5-minute grid
TRANSACTION_ITEMS = 100  # DynamoDB's limit of items in one transaction
INLINE_LIMIT = 25  # affected appointments handled within the request; more run as a job


def move_items(units: int) -> int:
    """Items of the transaction that moves an appointment holding ``units`` to another agent."""
    return 2 * units + 1


def suspend_items(units: int) -> int:
    """Items of the transaction that frees an appointment's units and marks it ``needs_rebooking``."""
    return units + 2  # the units, the appointment, the office's "needs rebooking" entry


@dataclass(frozen=True)
class Affected:
    appointment_id: str
    start: datetime
    service_id: str
    action: str
    agent: str | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "appointment_id": self.appointment_id,
            "start": self.start.isoformat(),
            "service_id": self.service_id,
            "action": self.action,
        }
        if self.agent:
            body["agent"] = self.agent
        return body

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Affected:
        return cls(
            str(raw["appointment_id"]),
            datetime.fromisoformat(str(raw["start"])),
            str(raw["service_id"]),
            str(raw["action"]),
            str(raw["agent"]) if raw.get("agent") else None,
        )


def is_covered(availability: Availability, appointment: Appointment) -> bool:
    """Whether the appointment's agent still holds its whole time under ``availability``."""
    return appointment.agent in availability.covering(appointment.start, appointment.end)


def uncovered(availability: Availability, appointments: Iterable[Appointment], now: datetime) -> list[Appointment]:
    """The office's booked appointments still to come whose agent no longer holds their time, by start."""
    return sorted(
        (
            a
            for a in appointments
            if a.is_active and a.start > now and a.office == availability.office.id and not is_covered(availability, a)
        ),
        key=lambda a: (a.start, a.id),
    )


def plan(
    availability: Availability,
    appointments: Iterable[Appointment],
    taken: Iterable[tuple[str, str]],
    now: datetime,
) -> list[tuple[Appointment, Affected]]:
    """What each uncovered appointment gets, in order of start: another agent who holds its time and has none of its
    units taken (the least busy that day first, then by name), or ``needs_rebooking``. ``taken`` holds the (unit,
    agent) pairs taken now; each move is counted in before the next appointment is placed."""
    held = set(taken)
    decisions: list[tuple[Appointment, Affected]] = []
    for a in uncovered(availability, appointments, now):
        held.difference_update((u, a.agent) for u in a.units)
        day = a.units[0][:10] if a.units else ""
        load = Counter(agent for unit, agent in held if unit.startswith(day))
        free = [
            agent
            for agent in availability.covering(a.start, a.end)
            if agent != a.agent and not any((u, agent) in held for u in a.units)
        ]
        if free:
            chosen = min(free, key=lambda agent: (load[agent], agent))
            held.update((u, chosen) for u in a.units)
            decisions.append((a, Affected(a.id, a.start, a.service_id, REASSIGNED, chosen)))
        else:
            decisions.append((a, Affected(a.id, a.start, a.service_id, NEEDS_REBOOKING)))
    return decisions


@dataclass(frozen=True)
class Handled:
    """What a write did to the appointments: each affected one, or the job that handles them."""

    affected: list[Affected]
    job: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"affected": [a.as_json() for a in self.affected]}
        if self.job is not None:
            body["job"] = self.job
        return body
