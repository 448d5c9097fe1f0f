"""What a request asks the services to do, typed: the edge (``chalicelib/api/commands.py``) parses a body into one
of these, the services act on it. Domain values only (instants, contacts, statuses), never raw JSON.

A body's field errors travel inside ``Parsed`` and are raised by the service when it asks for the command, after it
has checked who may act and on what: a caller who may not see an appointment is told 403/404, never what was wrong
with the body they sent about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from chalicelib.domain.appointments import Contact, Status
from chalicelib.domain.errors import FieldError, ValidationFailed

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
class Reschedule:
    start: datetime


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    outcome: Status
    notes: str | None
