"""Appointments: a citizen's booked time with an office for one service."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.catalogue import Assurance, OfficeId
from chalicelib.domain.identity_check import IdentityCheck, identity_basis
from chalicelib.domain.preflight import Preflight


class Status(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    INCOMPLETE = "incomplete"
    NO_SHOW = "no_show"
    # Its agent's time went away (leave, shorter hours, a holiday, a disabled agent) and no other agent was free: the
    # citizen is asked to choose another time. It still counts in their limits; no reminders and no call.
    NEEDS_REBOOKING = "needs_rebooking"


OUTCOMES = (Status.COMPLETED, Status.INCOMPLETE, Status.NO_SHOW)
# Statuses that hold a place in the citizen's limits (a cancel or a reschedule applies to them).
HELD = (Status.BOOKED, Status.NEEDS_REBOOKING)


@dataclass(frozen=True)
class Contact:
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Appointment:
    id: str
    service_id: str
    office: OfficeId
    start: datetime  # aware
    end: datetime
    status: Status
    citizen: str  # ID number
    citizen_contact: str | None  # keyed hash of the contact a one-time code verified (ownership), if any
    contact: Contact
    language: str
    agent: str  # the agent whose time it takes
    units: tuple[str, ...]  # that agent's 5-minute units it holds (duration + buffer)
    created_at: datetime
    created_by: str  # "citizen:<id>" or "staff:<username>"
    citizen_name: str | None = None
    version: int = 1
    reminders: dict[str, str] = field(default_factory=dict)  # "24h" / "1h" → when sent
    outcome_notes: str | None = None
    # The strongest level at which the citizen identified for this appointment (booking it, or joining its call):
    # substantial or high only through eID. Staff bookings start at low.
    citizen_assurance: Assurance = Assurance.LOW
    # The agent's check of the citizen's identity document in the call, if recorded.
    identity_check: IdentityCheck | None = None
    # While ``needs_rebooking``: since when and why ({"since": ISO time, "reason": "leave" | ...}).
    rebooking: dict[str, str] | None = None
    # The citizen's latest pre-flight check of their devices and connection (chalicelib/domain/preflight.py).
    preflight: Preflight | None = None

    @property
    def is_active(self) -> bool:
        return self.status is Status.BOOKED

    @property
    def holds_place(self) -> bool:
        """Booked, or waiting for the citizen to choose another time: it counts in their limits."""
        return self.status in HELD

    @property
    def identity(self) -> dict[str, str] | None:
        """What proves the citizen's identity for this appointment, or None (a document with personal data waits)."""
        return identity_basis(self.citizen_assurance, self.identity_check)

    def moved(self, start: datetime, end: datetime, agent: str, units: tuple[str, ...]) -> Appointment:
        return replace(
            self,
            start=start,
            end=end,
            agent=agent,
            units=units,
            version=self.version + 1,
            reminders={},
            status=Status.BOOKED,
            rebooking=None,
        )
