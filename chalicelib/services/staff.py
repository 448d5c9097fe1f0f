"""Staff administration (issue 15): administrators add people, change their roles, office and whether they may sign
in, and send them single-use links to set a password; the people use those links.

Who may: administrators only; anyone else is told the staff list does not exist (404, ``policy.require``).

Links: a random token (256 bits) emailed once, stored only as its keyed hash, working 72 hours and once; a new link
replaces the previous one. Setting a password through a link ends the person's older sessions (their tokens carry
the ``session_epoch`` they were issued under), and so does disabling them (their next request is refused, 401).

The last enabled administrator cannot be disabled or lose the role (409 ``last_admin``): the store keeps the count of
enabled administrators in the same transaction as each change, on the condition that it stays at least one, so two
administrators disabling each other at once cannot both succeed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from chalicelib.auth import codes
from chalicelib.auth.policy import Action, Resource, ResourceKind, require
from chalicelib.auth.principal import Principal
from chalicelib.domain.audit import Actor, AuditEvent, Outcome, RequestContext, change_details
from chalicelib.domain.capacity import Handled
from chalicelib.domain.errors import Conflict, FieldError, Gone, NotFound, ValidationFailed, version_conflict
from chalicelib.domain.passwords import password_problem
from chalicelib.services.commands import NewStaff, Parsed, SetPassword, StaffChange
from chalicelib.services.identity import Limits, RateLimiter, hash_password
from chalicelib.services.ports import (
    AuditLog,
    AuthStore,
    CapacityRules,
    Message,
    Notifier,
    StaffAdminStore,
    StaffLink,
    StaffRecord,
)
from chalicelib.texts import say

LINK_HOURS = 72
INVITATION, RESET = "invitation", "reset"
PURPOSE = "staff administration"
LINK_GONE = "This link has been used, has expired or has been replaced: ask an administrator for a new one."


class StaffAdminService:
    def __init__(
        self,
        store: StaffAdminStore,
        auth: AuthStore,
        notifier: Notifier,
        audit: AuditLog,
        pepper: Callable[[], bytes],
        limits: Limits,
        public_base_url: str,
        capacity: CapacityRules | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._notifier = notifier
        self._audit = audit
        self._pepper = pepper
        self._limits = limits
        self._base = public_base_url.rstrip("/")
        # When an agent stops serving an office (disabled, no longer an agent, moved), their booked appointments
        # move to another agent or wait for the citizen to choose another time.
        self._capacity = capacity
        self._clock = clock
        self._limiter = RateLimiter(auth, limits, pepper, clock)

    # --- reading ------------------------------------------------------------------------------------------------
    def people(self, caller: Principal, office: str | None, offices: Callable[[], frozenset[str]]) -> list[StaffRecord]:
        """Everyone, or the people of one of the catalogue's ``offices``."""
        require(caller, Action.MANAGE_STAFF, Resource(ResourceKind.STAFF))
        if office is not None and office not in offices():
            raise ValidationFailed([FieldError("office", "unknown_office")])
        return self._store.records(office)

    def get(self, caller: Principal, username: str) -> StaffRecord:
        require(caller, Action.MANAGE_STAFF, Resource(ResourceKind.STAFF, username))
        return self._found(username)

    # --- administrators' writes ------------------------------------------------------------------------------------
    def create(self, caller: Principal, request: Parsed[NewStaff], context: RequestContext, lang: str) -> StaffRecord:
        require(caller, Action.MANAGE_STAFF, Resource(ResourceKind.STAFF))
        new = request.command()
        record = StaffRecord(new.username, new.name, new.email, new.roles, new.office, True, False, 1, {}, ())
        token, link = self._new_link(INVITATION)
        self._store.create(record, link)
        self._record(caller, "staff.create", record.username, context, None, record)
        self._send(record, token, INVITATION, caller, lang)
        return record

    def update(
        self,
        caller: Principal,
        username: str,
        request: Parsed[StaffChange],
        context: RequestContext,
        preview: bool = False,
    ) -> tuple[StaffRecord, Handled]:
        """The member of staff as saved, and the appointments the change moved or left to rebook (with ``preview``:
        nothing saved, and what each appointment would get)."""
        require(caller, Action.MANAGE_STAFF, Resource(ResourceKind.STAFF, username))
        before = self._found(username)
        change = request.command()
        if change.version != before.version:
            raise version_conflict()
        after = replace(
            before,
            name=change.name,
            email=change.email,
            roles=change.roles,
            office=change.office,
            enabled=change.enabled,
            version=before.version + 1,
        )
        if before.enabled_admin and not after.enabled_admin and self._only_admin(before):
            raise Conflict("last_admin", "This would leave no enabled administrator.")
        leaves = _serves(before) and (not _serves(after) or after.office != before.office)
        if preview:
            return before, self._agent_left(username, before, True, context) if leaves else Handled([])
        self._store.update(before, after, end_sessions=before.enabled and not after.enabled)
        self._record(caller, "staff.update", username, context, before, after)
        return after, self._agent_left(username, before, False, context) if leaves else Handled([])

    def _agent_left(self, username: str, before: StaffRecord, preview: bool, context: RequestContext) -> Handled:
        if self._capacity is None:
            return Handled([])
        return self._capacity.agent_left(username, str(before.office), preview, context)

    def send_invitation(self, caller: Principal, username: str, context: RequestContext, lang: str) -> None:
        """A new invitation (the previous link stops working); for someone who has not set a password yet."""
        require(caller, Action.MANAGE_STAFF, Resource(ResourceKind.STAFF, username))
        record = self._found(username)
        if record.activated:
            raise Conflict("already_activated", "This person has already set a password: send a password reset.")
        self._link(caller, record, INVITATION, "staff.invite", context, lang)

    def send_password_reset(self, caller: Principal, username: str, context: RequestContext, lang: str) -> None:
        require(caller, Action.MANAGE_STAFF, Resource(ResourceKind.STAFF, username))
        record = self._found(username)
        if not record.enabled:
            raise Conflict("account_disabled", "This account is disabled: enable it first.")
        self._link(caller, record, RESET, "staff.password_reset", context, lang)

    # --- the person with the link ---------------------------------------------------------------------------------
    def set_password(self, request: Parsed[SetPassword], context: RequestContext) -> None:
        """The link's holder sets their password: 410 ``invitation_expired`` for a link that does not work now."""
        source = context.source_ip or "unknown"
        self._limiter.take([("staff-activate-ip", source, self._limits.staff_activations_per_source_ip)])
        asked = request.command()
        digest = codes.link_digest(self._pepper(), asked.token)
        now = int(self._clock())
        holder = self._store.link_of(digest, now)
        if holder is None:
            raise Gone("invitation_expired", LINK_GONE)
        problem = password_problem(asked.password, holder[0])
        if problem is not None:
            raise ValidationFailed([problem])
        used = self._store.use_link(digest, hash_password(asked.password), now)
        if used is None:  # another request used it between the two reads
            raise Gone("invitation_expired", LINK_GONE)
        username, purpose = used
        self._audit.record(
            AuditEvent(
                actor=Actor(f"staff:{username}", "staff"),
                action="staff.activate",
                subject=f"staff:{username}",
                outcome=Outcome.SUCCESS,
                context=context,
                purpose="identification",
                details={"link": purpose},
            )
        )

    # --- helpers --------------------------------------------------------------------------------------------------
    def _found(self, username: str) -> StaffRecord:
        record = self._store.record(username) if len(username) <= 64 else None
        if record is None:
            raise NotFound("There is no such member of staff.")
        return record

    def _only_admin(self, record: StaffRecord) -> bool:
        """A quick answer for the common case; the store's conditional count is what makes it hold under races."""
        return not any(r.enabled_admin and r.username != record.username for r in self._store.records(None))

    def _new_link(self, purpose: str) -> tuple[str, StaffLink]:
        token = codes.new_link_token()
        expires = int(self._clock()) + LINK_HOURS * 3600
        return token, StaffLink(codes.link_digest(self._pepper(), token), purpose, expires)

    def _link(
        self, caller: Principal, record: StaffRecord, purpose: str, action: str, context: RequestContext, lang: str
    ) -> None:
        token, link = self._new_link(purpose)
        self._store.set_link(record.username, link)
        self._audit.record(
            AuditEvent(
                actor=caller.actor,
                action=action,
                subject=f"staff:{record.username}",
                outcome=Outcome.SUCCESS,
                context=context,
                purpose=PURPOSE,
                details={"expires_at": str(link.expires_at)},
            )
        )
        self._send(record, token, purpose, caller, lang)

    def _send(self, record: StaffRecord, token: str, purpose: str, caller: Principal, lang: str) -> None:
        suffix = "&purpose=reset" if purpose == RESET else ""
        link = f"{self._base}/staff/activate#token={token}{suffix}"
        kind = "staff_invitation" if purpose == INVITATION else "staff_reset"
        values = {
            "name": record.name,
            "inviter": caller.name or caller.subject,
            "username": record.username,
            "link": link,
            "hours": LINK_HOURS,
        }
        subject, body = say(f"email.{kind}.subject", lang, **values), say(f"email.{kind}.body", lang, **values)
        self._notifier.send(Message("email", record.email, body, kind.replace("_", "-"), subject))

    def _record(
        self,
        caller: Principal,
        action: str,
        username: str,
        context: RequestContext,
        before: StaffRecord | None,
        after: StaffRecord,
    ) -> None:
        self._audit.record(
            AuditEvent(
                actor=caller.actor,
                action=action,
                subject=f"staff:{username}",
                outcome=Outcome.SUCCESS,
                context=context,
                purpose=PURPOSE,
                details=change_details(_audit_view(before), _audit_view(after), _changed(before, after)),
            )
        )


def _serves(record: StaffRecord) -> bool:
    return record.enabled and "agent" in record.roles and record.office is not None


_AUDITED = ("name", "email", "roles", "office", "enabled")


def _changed(before: StaffRecord | None, after: StaffRecord) -> list[str]:
    return [f for f in _AUDITED if before is None or getattr(before, f) != getattr(after, f)]


def _audit_view(record: StaffRecord | None) -> dict[str, Any] | None:
    """What the trail keeps of a member of staff: the user name and what they may do, not their name or address
    (``changed`` says whether those changed), never a password hash or a link (the record holds neither)."""
    if record is None:
        return None
    return {
        "username": record.username,
        "roles": list(record.roles),
        "office": record.office,
        "enabled": record.enabled,
        "version": record.version,
    }
