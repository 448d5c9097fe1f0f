"""One-tap links: the short, single-purpose links our messages carry (join the call, cancel, change the time, the
pre-flight check).

A link is a random 128-bit token (22 characters, so an SMS stays short; not a JWT), stored only as its keyed hash
(``codes.link_digest(pepper, token, "one-tap")``) with the one appointment and the one action it is bound to and its
expiry. It is refused (410 ``link_expired``) once expired, once used (cancel and change act once; join is reusable
within the call window, so a reload or a reconnection works), and once its appointment was cancelled or closed; a
token we never issued is 404, a malformed one 422. It never tells more than its appointment's service, time and
status.

Links act without sign-in only for low-assurance services; for the others an eID sign-in of the same person must
come with the request (``policy.require_link_holder``).

Actions are handlers registered by name (``register``): this module registers join, cancel and change; the
pre-flight check registers "preflight". A handler takes (appointment, body) and answers a JSON object; one that
needs to know who is acting and from where reads ``LinkService.current_use()``.

Cancel and change also act on an appointment waiting for a new time (``needs_rebooking``: the office's capacity
went; ``BookingService.cancel_held`` / ``reschedule_held``): the message that tells its citizen carries a change and
a cancel link for it, working until the end of the day of the original appointment + ``REBOOKING_DAYS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol

from chalicelib.auth import codes
from chalicelib.auth.policy import Action, Decision, InsufficientAssurance, decide, require_link_holder
from chalicelib.auth.principal import Principal
from chalicelib.domain.appointments import Appointment, Status
from chalicelib.domain.audit import Actor, AuditEvent, Outcome, RequestContext
from chalicelib.domain.bounds import parse_instant
from chalicelib.domain.calls import window
from chalicelib.domain.catalogue import Service
from chalicelib.domain.errors import Conflict, FieldError, Gone, NotFound, ValidationFailed
from chalicelib.services.booking import resource_of
from chalicelib.services.ports import AuditLog

ACTIONS = ("join", "cancel", "change", "preflight")
SINGLE_USE = frozenset({"cancel", "change"})
PURPOSE = "one-tap"
TOKEN_BYTES = 16
# A change or cancel link for an appointment the office could no longer hold (needs_rebooking) works until the end
# of the day of the original appointment + this many days.
REBOOKING_DAYS = 14
# What codes.new_link_token(16) makes: 22 URL-safe characters. Anything else is not a link of ours (422).
TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")

Handler = Callable[[Appointment, Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class StoredLink:
    appointment_id: str
    action: str
    expires_at: int  # epoch seconds
    used: bool = False


class LinkStore(Protocol):
    def put(self, digest: str, link: StoredLink) -> None: ...

    def get(self, digest: str) -> StoredLink | None: ...

    def claim(self, digest: str) -> bool: ...

    def release(self, digest: str) -> None: ...


class Limiter(Protocol):
    def take(self, checks: list[tuple[str, str, int]], code: str = "rate_limited") -> None: ...


class BookingPort(Protocol):
    """What links need of the booking service (``services.booking.BookingService``)."""

    def lookup(self, appointment_id: str) -> Appointment | None: ...

    def service_of_appointment(self, appointment: Appointment) -> Service: ...

    def cancel_held(self, appointment: Appointment, actor: Actor, context: RequestContext) -> Appointment: ...

    def reschedule_held(
        self, appointment: Appointment, start: datetime, actor: Actor, context: RequestContext
    ) -> Appointment: ...

    def booking_window(self) -> Any: ...

    @property
    def zone(self) -> Any: ...


class ScopedSessions(Protocol):
    def issue_scoped(self, subject: str, appointment_id: str, lifetime: timedelta) -> Any: ...


@dataclass(frozen=True)
class LinkUse:
    """Who is using a link (None: nobody signed in, the link alone) and from where."""

    caller: Principal | None
    actor: Actor
    context: RequestContext


@dataclass(frozen=True)
class Resolved:
    action: str
    appointment: Appointment
    service: Service
    digest: str


@dataclass(frozen=True)
class LinkLimits:
    lookups_per_source_ip: int
    uses_per_source_ip: int


_current: ContextVar[LinkUse | None] = ContextVar("link_use", default=None)


def link_actor(appointment: Appointment) -> Actor:
    """The citizen acting through their appointment's link, no sign-in: named by the appointment, not the person."""
    return Actor(f"link:{appointment.id}", "citizen")


class LinkService:
    def __init__(
        self,
        store: LinkStore,
        booking: BookingPort,
        sessions: ScopedSessions,
        audit: AuditLog,
        pepper: Callable[[], bytes],
        limiter: Limiter,
        limits: LinkLimits,
        public_base_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._booking = booking
        self._sessions = sessions
        self._audit = audit
        self._pepper = pepper
        self._limiter = limiter
        self._limits = limits
        self._base = public_base_url.rstrip("/")
        self._clock = clock
        self._handlers: dict[str, Handler] = {}
        self.register("join", self._join)
        self.register("cancel", self._cancel)
        self.register("change", self._change)

    # --- the registry ---------------------------------------------------------------------------------------------
    def register(self, action: str, handler: Handler) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown link action {action!r}")
        self._handlers[action] = handler

    def supports(self, action: str) -> bool:
        return action in self._handlers

    @staticmethod
    def current_use() -> LinkUse:
        """Inside a handler: who is using the link and from where."""
        use = _current.get()
        if use is None:
            raise RuntimeError("current_use() outside a link's handler")
        return use

    # --- issuing --------------------------------------------------------------------------------------------------
    def issue(self, appointment: Appointment, action: str) -> str:
        """A new link for the appointment's citizen to do ``action``: ``{public_base_url}/l#token=…`` (in the
        fragment, so it never reaches a server's log)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown link action {action!r}")
        token = codes.new_link_token(TOKEN_BYTES)
        expires = self.expiry(appointment, action)
        self._store.put(self._digest(token), StoredLink(appointment.id, action, int(expires.timestamp())))
        return f"{self._base}/l#token={token}"

    def expiry(self, appointment: Appointment, action: str) -> datetime:
        """Join: until its call window closes (an hour after the end: reconnections). The check before the day:
        until the start. Cancel and change: until the end (an appointment under way is changed no more anyway);
        for an appointment waiting for a new time (the office's capacity went), until the end of the day of the
        original appointment + ``REBOOKING_DAYS``."""
        if action == "join":
            return window(appointment.start, appointment.end).closes_at
        if action == "preflight":
            return appointment.start
        if appointment.status is Status.NEEDS_REBOOKING:
            zone = self._booking.zone
            day = appointment.start.astimezone(zone).date() + timedelta(days=REBOOKING_DAYS + 1)
            return datetime.combine(day, time(0, 0), tzinfo=zone)
        return appointment.end

    # --- using ----------------------------------------------------------------------------------------------------
    def resolve(self, token: str, context: RequestContext, limit: str = "lookup") -> Resolved:
        """The live link ``token`` names: 422 malformed, 404 never issued, 410 used, expired or its appointment
        cancelled or closed. Lookups are counted per source address (their own bucket)."""
        if limit == "lookup":
            self._limiter.take([("link-lookup-ip", context.source_ip or "unknown", self._limits.lookups_per_source_ip)])
        else:
            self._limiter.take([("link-use-ip", context.source_ip or "unknown", self._limits.uses_per_source_ip)])
        if not TOKEN.fullmatch(token):
            raise ValidationFailed([FieldError("token", "malformed")])
        digest = self._digest(token)
        stored = self._store.get(digest)
        if stored is None or stored.action not in ACTIONS:
            raise NotFound("There is no such link.")
        appointment = self._booking.lookup(stored.appointment_id)
        if appointment is None:
            raise NotFound("There is no such link.")
        if (
            stored.expires_at <= self._clock().timestamp()
            or (stored.used and stored.action in SINGLE_USE)
            or not _live(appointment, stored.action, self._clock())
        ):
            raise Gone("link_expired", "This link has expired or has already been used.")
        return Resolved(stored.action, appointment, self._booking.service_of_appointment(appointment), digest)

    @staticmethod
    def may_act(found: Resolved, caller: Principal | None) -> bool:
        """Whether ``caller`` (None: the link alone) could use the link ``found`` names, without using it."""
        try:
            require_link_holder(caller, found.appointment.citizen, found.service.min_assurance)
        except (InsufficientAssurance, NotFound):
            return False
        return True

    def perform(
        self, token: str, caller: Principal | None, body: Mapping[str, Any], context: RequestContext
    ) -> tuple[Resolved, dict[str, Any]]:
        """Do what the link is for, as its holder: once for cancel and change (claimed by a conditional write,
        given back if the action fails), as often as needed within its time for the others. Audited."""
        found = self.resolve(token, context, limit="use")
        appointment = found.appointment
        require_link_holder(caller, appointment.citizen, found.service.min_assurance)
        handler = self._handlers.get(found.action)
        if handler is None:
            raise NotFound("This link cannot be used yet.")
        once = found.action in SINGLE_USE
        if once and not self._store.claim(found.digest):
            raise Gone("link_expired", "This link has expired or has already been used.")
        use = LinkUse(caller, caller.actor if caller is not None else link_actor(appointment), context)
        reset = _current.set(use)
        try:
            result = handler(appointment, body)
        except Exception:
            if once:
                self._store.release(found.digest)
            raise
        finally:
            _current.reset(reset)
        self._audit.record(
            AuditEvent(
                actor=use.actor,
                action="link.used",
                subject=f"appointment:{appointment.id}",
                outcome=Outcome.SUCCESS,
                context=context,
                purpose="appointment management",
                data_subject=appointment.citizen,
                details={"action": found.action, "signed_in": "yes" if caller is not None else "no"},
            )
        )
        fresh = self._booking.lookup(appointment.id) or appointment
        return replace(found, appointment=fresh), result

    # --- the actions this module provides -------------------------------------------------------------------------
    def _join(self, appointment: Appointment, body: Mapping[str, Any]) -> dict[str, Any]:
        """Let the call page continue. A caller already allowed to join (an eID sign-in of the same person) goes on
        with their own session; otherwise (a low-assurance service, nobody signed in) a session is opened that may
        only view and join this one appointment, until its call window closes."""
        use = self.current_use()
        now = self._clock()
        opening = window(appointment.start, appointment.end)
        if now < opening.opens_at:
            raise Conflict(
                "call_not_open",
                "The call opens 15 minutes before the appointment.",
                opens_at=opening.opens_at.isoformat(),
                closes_at=opening.closes_at.isoformat(),
            )
        answer: dict[str, Any] = {"appointment_id": appointment.id, "session": None}
        if use.caller is None or decide(use.caller, Action.JOIN_CALL, resource_of(appointment)) is not Decision.ALLOW:
            lifetime = max(opening.closes_at - now, timedelta(minutes=1))
            issued = self._sessions.issue_scoped(appointment.citizen, appointment.id, lifetime)
            answer["session"] = {"access_token": issued.token, "token_type": "Bearer", "expires_in": issued.expires_in}
        return answer

    def _cancel(self, appointment: Appointment, body: Mapping[str, Any]) -> dict[str, Any]:
        use = self.current_use()
        self._booking.cancel_held(appointment, use.actor, use.context)
        return {}

    def _change(self, appointment: Appointment, body: Mapping[str, Any]) -> dict[str, Any]:
        use = self.current_use()
        start = parse_instant(body.get("start"), "start", self._booking.booking_window(), self._booking.zone)
        self._booking.reschedule_held(appointment, start, use.actor, use.context)
        return {}

    def _digest(self, token: str) -> str:
        return codes.link_digest(self._pepper(), token, PURPOSE)


def _live(appointment: Appointment, action: str, now: datetime) -> bool:
    """Whether the appointment is still one the action applies to: cancel and change while it holds its place
    (booked until it ends: a link issued while it waited for a new time outlives the time chosen since; or waiting
    for a new time), the others only while it is booked."""
    if action in SINGLE_USE:
        return appointment.holds_place and (appointment.status is not Status.BOOKED or now < appointment.end)
    return appointment.status is Status.BOOKED


def summary(appointment: Appointment, service: Service | None = None) -> dict[str, Any]:
    """All a link says about its appointment (never the person: no name, ID number or contact)."""
    named = {"service": {"id": service.id, "name": service.name.as_dict()}} if service is not None else {}
    return {
        "id": appointment.id,
        **named,
        "start": appointment.start.isoformat(),
        "end": appointment.end.isoformat(),
        "status": appointment.status.value,
    }
