"""Audit events: who did what to which object, when, from where, and with what result.

Every state-changing action records one through the audit port (``services.ports.AuditLog``). Events hold no
secrets; personal data appears only as object identifiers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any

from chalicelib.domain.identifiers import masked
from chalicelib.domain.procedures import REGISTRY

# Every action the service records, so that the access log and the audit table can say each in plain words in the
# reader's language (web/src/i18n/records/*.json; tests/unit/test_audit_vocabulary.py checks both ways). A new action
# is added here with its labels. procedure.{type} comes from the procedure registry (a new procedure needs only its
# labels); the other families built from a variable are spelled out: appointment.outcome.{status},
# appointment.reminder.{1h,24h,preflight}, and call.{kind} for the room events kept.
AUDIT_ACTIONS = frozenset(f"procedure.{kind}" for kind in REGISTRY) | frozenset(
    {
        "auth.otp.request",
        "auth.otp.verify",
        "auth.otp.lockout",
        "auth.eid.signin",
        "auth.staff.login",
        "auth.staff.otp_sent",
        "auth.staff.lockout",
        "auth.logout",
        "appointment.book",
        "appointment.cancel",
        "appointment.reschedule",
        "waitlist.join",
        "waitlist.leave",
        "offer.sent",
        "offer.accepted",
        "offer.expired",
        "appointment.identity_check",
        "appointment.outcome.completed",
        "appointment.outcome.incomplete",
        "appointment.outcome.no_show",
        "appointment.reminder.1h",
        "appointment.reminder.24h",
        "appointment.reminder.preflight",
        "link.used",
        "call.join",
        "call.waiting",
        "call.admitted",
        "call.ended",
        "recording.complete",
        "recording.failed",
        "recording.playback",
        "register.read",
        "procedure.consent",
        "procedure.reissue",
        "document.issue",
        "document.download",
        "document.verify",
        "attachment.add",
        "record.hold",
        "record.release",
        "record.release.request",
        "record.delete",
        "audit.search",
        "audit.export",
        "audit.verify",
        "stats.read",
        "staff.create",
        "staff.update",
        "staff.invite",
        "staff.password_reset",
        "staff.activate",
        "catalogue.office.create",
        "catalogue.office.update",
        "catalogue.service.create",
        "catalogue.service.update",
        "appointment.reassign",
        "appointment.taken",
        "appointment.handed_over",
        "appointment.needs_rebooking",
        "staff.schedule",
        "staff.exception",
        "holidays.save",
    }
)

# The purposes recorded as fixed words (a supervisor's stated reason for a playback or a legal hold is recorded as
# written, and shown as written).
AUDIT_PURPOSES = frozenset(
    {
        "identification",
        "citizen",
        "appointment management",
        "remind the citizen of the appointment",
        "video attention",
        "procedure",
        "consent",
        "supporting document",
        "document access",
        "document verification",
        "residence certificate",
        "payment letter",
        "direct debit",
        "instalment plan",
        "retention period ended",
        "audit",
        "supervision",
        "staff administration",
        "catalogue",
        "service administration",
    }
)


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
    # The citizen (ID number) whose personal data the action touched; stored only as a keyed hash (see
    # ``pseudonymise``). It is what a citizen's "who accessed my data" page is searched by.
    data_subject: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("audit time must carry its offset")
        if "." not in self.action:
            raise ValueError("audit actions are dotted verbs like 'appointment.book'")

    def day_in(self, zone: tzinfo) -> str:
        """The calendar day of the event in ``zone`` (the council's: its days partition the trail)."""
        return self.at.astimezone(zone).date().isoformat()


CITIZEN_PREFIX = "citizen:"
PSEUDONYM_PREFIX = "p-"


def citizen_pseudonym(key: bytes, id_number: str) -> str:
    """The keyed hash (HMAC-SHA256, 128 bits) under which a citizen's ID number appears in the trail.

    Stable, so an auditor holding the key's access can find one person's events, and unlinkable to the ID number
    without the key (a plain hash of a DNI is reversible by trying all 10^8 of them)."""
    mac = hmac.new(key, f"citizen:{id_number.strip().upper()}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{PSEUDONYM_PREFIX}{mac}"


# What people type into free text (a stated reason, a search filter, a user name): an ID number (DNI, NIE, K/L/M
# NIF, any case, a hyphen before the letter or not, check letter right or wrong), an email address, a phone number.
# Whole tokens only, so hashes, UUIDs and times in the details are left alone.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:[0-9]{8}|[XYZKLMxyzklm][0-9]{7})-?[A-Za-z](?![0-9A-Za-z])")
_EMAIL = re.compile(r"[^@\s:/,;()<>\"']+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(r"(?<![\w.:+-])(?:\+[0-9]{2,3}[ .-]?)?[6789][0-9]{2}(?:[ .-]?[0-9]{3}){2}(?![\w.:-])")


def redact(text: str, pseudonym: Callable[[str], str]) -> str:
    """``text`` with every ID number replaced by its pseudonym and every email address or phone number masked."""
    text = _ID_NUMBER.sub(lambda m: pseudonym(m.group().replace("-", "").upper()), text)
    text = _EMAIL.sub(lambda m: masked(m.group()), text)
    return _PHONE.sub(lambda m: masked(re.sub(r"[^0-9]", "", m.group())), text)


def pseudonymise(event: AuditEvent, pseudonym: Callable[[str], str]) -> AuditEvent:
    """The event as stored: every citizen ID number (actor, subject, data subject) replaced by its pseudonym, and
    whatever a person typed (purpose, details) with ID numbers, email addresses and phone numbers taken out.

    A citizen acting on their own data is that data's subject when the event names no other."""

    def hide(value: str) -> str:
        if value.startswith(CITIZEN_PREFIX) and not value[len(CITIZEN_PREFIX) :].startswith(PSEUDONYM_PREFIX):
            return CITIZEN_PREFIX + pseudonym(value[len(CITIZEN_PREFIX) :])
        return redact(value, pseudonym)

    data_subject = event.data_subject
    if data_subject is None and event.actor.id.startswith(CITIZEN_PREFIX):
        data_subject = event.actor.id[len(CITIZEN_PREFIX) :]
    if data_subject is not None and not data_subject.startswith(PSEUDONYM_PREFIX):
        data_subject = pseudonym(data_subject)
    return replace(
        event,
        actor=Actor(hide(event.actor.id), event.actor.role),
        subject=hide(event.subject),
        data_subject=data_subject,
        purpose=redact(event.purpose, pseudonym) if event.purpose is not None else None,
        details={key: redact(value, pseudonym) for key, value in event.details.items()},
    )


def change_details(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, changed: Iterable[str] | None = None
) -> dict[str, str]:
    """The details of an administrator's change, in one shape for every admin write: ``before`` (``null`` for a
    create) and ``after`` (``null`` for a removal) as sorted JSON, and ``changed``, the names of the fields that
    differ (given by the caller when what it keeps in the trail leaves some out, e.g. a person's name and address)."""
    if changed is None:
        old, new = before or {}, after or {}
        changed = sorted(k for k in {*old, *new} if old.get(k) != new.get(k))
    return {
        "before": json.dumps(before, ensure_ascii=False, sort_keys=True),
        "after": json.dumps(after, ensure_ascii=False, sort_keys=True),
        "changed": ",".join(changed),
    }
