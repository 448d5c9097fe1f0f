"""What a request asks the services to do, typed: the edge (``chalicelib/api/commands.py``) parses a body into one
of these, the services act on it. Domain values only (instants, contacts, statuses), never raw JSON.

A body's field errors travel inside ``Parsed`` and are raised by the service when it asks for the command, after it
has checked who may act and on what: a caller who may not see an appointment is told 403/404, never what was wrong
with the body they sent about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from chalicelib.domain.appointments import Contact, Status
from chalicelib.domain.calendar import Holiday
from chalicelib.domain.catalogue import Office, OfficeId, Service, WeeklyHours
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.identifiers import Channel
from chalicelib.domain.instalments import InstalmentRequest
from chalicelib.domain.waitlist import PartOfDay

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """A body parsed into a command, or the field errors that stopped it."""

    value: T | None
    errors: tuple[FieldError, ...] = ()

    def command(self) -> T:
        """The command, or the body's field errors as one 422."""
        if self.errors or self.value is None:
            raise ValidationFailed(list(self.errors))
        return self.value


@dataclass(frozen=True, slots=True)
class StaffBooking:
    """Staff book for a citizen they name (the citizen's own booking takes who they are from their token)."""

    id_number: str
    name: str | None


@dataclass(frozen=True, slots=True)
class BookRequest:
    """A booking of the service the request names (``service_id``, read first: it says which rules apply)."""

    start: datetime
    contact: Contact
    language: str
    for_citizen: StaffBooking | None


@dataclass(frozen=True, slots=True)
class JoinWaitlist:
    """A place on a service's waitlist (``service_id``, read first: its horizon bounds ``last``)."""

    first: date
    last: date
    part_of_day: PartOfDay | None
    contact: Contact
    language: str


@dataclass(frozen=True, slots=True)
class Reschedule:
    start: datetime


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    outcome: Status
    notes: str | None


@dataclass(frozen=True, slots=True)
class RunProcedure:
    """The agent carries out a procedure: ``data`` is its form as sent (the procedure module validates it, field by
    field, against the appointment it runs in)."""

    kind: str
    data: dict[str, Any]
    reissue: bool
    reason: str | None


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """A one-time code typed back with the challenge it answers (signing in, consenting to a procedure)."""

    challenge_id: str
    code: str


@dataclass(frozen=True, slots=True)
class RequestCode:
    """A citizen asks for a sign-in code: who they say they are and where to send it."""

    id_number: str
    channel: Channel
    destination: str
    language: str


@dataclass(frozen=True, slots=True)
class StaffLogin:
    username: str  # as typed; the service compares it trimmed and in lower case
    password: str
    otp: str | None  # None: the first step, which emails the code
    language: str


@dataclass(frozen=True, slots=True)
class AddAttachment:
    filename: str
    content_type: str
    data: bytes


# An instalment plan's preview asks what the plan itself is computed from.
InstalmentPreview = InstalmentRequest


@dataclass(frozen=True, slots=True)
class StatedReason:
    """Why someone does what is audited with its reason (a legal hold's steps, a recording's playback)."""

    text: str


@dataclass(frozen=True, slots=True)
class VerifyPeriod:
    """The period an auditor verifies the trail for: from ``start`` to ``end`` (``domain.bounds.parse_period``)."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class StatsQuery:
    """The supervisor's figures asked for: council days ``start`` to ``end`` (both included), one office or all."""

    start: date
    end: date
    office: OfficeId | None


@dataclass(frozen=True, slots=True)
class NewStaff:
    """An administrator adds a member of staff (an invitation to set their password goes to ``email``)."""

    username: str
    name: str
    email: str
    roles: tuple[str, ...]  # sorted, each a staff role
    office: str | None  # an office of the catalogue: required for agents


@dataclass(frozen=True, slots=True)
class StaffChange:
    """An administrator changes a member of staff, sending the ``version`` they read."""

    name: str
    email: str
    roles: tuple[str, ...]
    office: str | None
    enabled: bool
    version: int


@dataclass(frozen=True, slots=True)
class SetPassword:
    """Someone uses an invitation or password-reset link: its token and the password they chose (checked against
    the holder's user name by the service, which alone knows it)."""

    token: str
    password: str


@dataclass(frozen=True, slots=True)
class OfficeChange:
    """An office as an administrator writes it; ``version`` is the one they read (None: a new office)."""

    office: Office
    version: int | None


@dataclass(frozen=True, slots=True)
class ServiceChange:
    """A catalogue service as an administrator writes it; ``version`` is the one they read (None: a new one)."""

    service: Service
    version: int | None


@dataclass(frozen=True, slots=True)
class ScheduleChange:
    """An agent's week of working hours at an office, over the schedule's ``version`` read."""

    office: str
    weekly: WeeklyHours
    version: int


@dataclass(frozen=True, slots=True)
class NewScheduleException:
    """Leave (no ``intervals``: the whole day) or extra hours of an agent on one day."""

    day: date
    kind: str  # "leave" | "extra"
    intervals: tuple[tuple[str, str], ...]

    def stored(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "kind": self.kind, "intervals": [list(i) for i in self.intervals]}


@dataclass(frozen=True, slots=True)
class HolidaysChange:
    """A year's holidays as an administrator writes them, over the ``version`` read (0: the official list)."""

    items: tuple[Holiday, ...]
    version: int
