"""Who is calling: the identity a verified access token stands for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.audit import Actor
from chalicelib.domain.catalogue import Assurance, OfficeId


class Role(StrEnum):
    CITIZEN = "citizen"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN})


@dataclass(frozen=True)
class Principal:
    """A signed-in person.

    Citizens: ``subject`` is their ID number; ``contact`` is the keyed hash of the address a one-time code reached
    (what a code proves), absent for eID sign-ins (which prove the identity itself); ``scope`` limits a session a
    join link opened to its appointment. Staff: ``subject`` is the
    username, ``office`` the office an agent serves.
    """

    subject: str
    roles: frozenset[Role]
    token_id: str
    expires_at: datetime
    assurance: Assurance = Assurance.LOW
    auth_method: str = "otp"
    office: OfficeId | None = None
    name: str | None = None
    contact: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # A session a one-tap "join" link opened: the id of the one appointment it may view and join, nothing else
    # (chalicelib/auth/policy.py, and ``scoped=True`` on the few routes that accept it: chalicelib/api/blueprint.py).
    scope: str | None = None

    @property
    def is_citizen(self) -> bool:
        return Role.CITIZEN in self.roles

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def kind(self) -> str:
        return "citizen" if self.is_citizen else "staff"

    @property
    def audit_role(self) -> str:
        return ",".join(sorted(r.value for r in self.roles))

    @property
    def actor(self) -> Actor:
        """Who acted, as the trail names them: ``citizen:<pseudonymised id>`` or ``staff:<user>``; the service itself
        acting as an administrator (``extra["system"]``: loading the demo data) as ``system:<component>``."""
        if self.extra.get("system"):
            return Actor.system(self.subject)
        return Actor(f"{self.kind}:{self.subject}", self.audit_role)
