"""Audit events: who did what to which object, when, from where, and with what result.

Every state-changing action records one through the audit port (``services.ports.AuditLog``). Events hold no
secrets; personal data appears only as object identifiers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

COUNCIL_ZONE = ZoneInfo("Europe/Madrid")


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


@dataclass(frozen=True)
class Actor:
    """Who acted: a staff username, a citizen (by pseudonymous subject id) or the system itself."""

    id: str
    role: str  # citizen | agent | supervisor | auditor | admin | system

    @classmethod
    def system(cls, component: str) -> Actor:
        return cls(id=f"system:{component}", role="system")


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    source_ip: str | None = None


@dataclass(frozen=True)
class AuditEvent:
    actor: Actor
    action: str  # dotted verb, e.g. "appointment.book", "catalogue.seed"
    subject: str  # the object acted on, e.g. "appointment:01J…" or "service:residence-certificate"
    outcome: Outcome
    context: RequestContext
    purpose: str | None = None
    details: dict[str, str] = field(default_factory=dict)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("audit time must carry its offset")
        if "." not in self.action:
            raise ValueError("audit actions are dotted verbs like 'appointment.book'")

    @property
    def day(self) -> str:
        """The council's calendar day of the event, which partitions the trail."""
        return self.at.astimezone(COUNCIL_ZONE).date().isoformat()
