"""Call use cases: join an appointment's call (room on a media node + join token + ICE servers), fold the media
nodes' signed reports into the call's state, and show that state in the agenda.

The media node never reads our tables: it learns who may join from the join token (a short-lived JWT for the media
audience, bound to one room and role), and tells us what happened through signed reports (``POST /media/events``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.auth.policy import Action
from chalicelib.auth.principal import Principal, Role
from chalicelib.auth.tokens import AUDIENCE_MEDIA, TokenService
from chalicelib.domain.appointments import Appointment
from chalicelib.domain.audit import Actor, AuditEvent, Outcome, RequestContext
from chalicelib.domain.calls import (
    EVENT_TYPES,
    IDLE_JSON,
    JOIN_TOKEN_SECONDS,
    Call,
    CallState,
    MediaRole,
    Window,
    apply,
    choose_node,
    participant_id,
    turn_credentials,
    webhook_valid,
    window,
)
from chalicelib.domain.errors import Conflict, DependencyUnavailable, FieldError, Unauthenticated, ValidationFailed
from chalicelib.observability import logger
from chalicelib.services.booking import BookingService
from chalicelib.services.identity import Sessions
from chalicelib.services.ports import AuditLog, CallStore, Secrets
from chalicelib.services.records import RecordsService

SAVE_ATTEMPTS = 5
PROBE_CREDENTIAL_MINUTES = 10  # a pre-flight check takes a minute or two
# A node asks about the sessions of the people in its rooms: at most four per room, a few hundred rooms per node.
MAX_SESSIONS_PER_CHECK = 1000


@dataclass(frozen=True)
class CallSettings:
    webhook_secret_parameter: str
    turn_secret_parameter: str
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_credential_minutes: int = 60


@dataclass(frozen=True)
class Join:
    call: Call
    participant_id: str
    role: MediaRole
    join_token: str
    ice_servers: list[dict[str, Any]]
    window: Window


class CallService:
    def __init__(
        self,
        booking: BookingService,
        store: CallStore,
        tokens: TokenService,
        audit: AuditLog,
        secrets: Secrets,
        settings: CallSettings,
        sessions: Sessions,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        records: RecordsService | None = None,
    ) -> None:
        self._records = records
        self._sessions = sessions
        self._booking = booking
        self._store = store
        self._tokens = tokens
        self._audit = audit
        self._secrets = secrets
        self._settings = settings
        self._clock = clock

    @property
    def settings(self) -> CallSettings:
        return self._settings

    # --- joining --------------------------------------------------------------------------------------------------
    def join(self, caller: Principal, appointment_id: str, context: RequestContext) -> Join:
        appointment = self._booking.get(caller, appointment_id, Action.JOIN_CALL)
        now = self._clock()
        opening = window(appointment.start, appointment.end)
        if not appointment.is_active:
            raise Conflict("appointment_closed", "This appointment was cancelled or has already been closed.")
        if not opening.contains(now):
            raise Conflict(
                "call_not_open",
                "The call opens 15 minutes before the appointment and closes an hour after it ends.",
                opens_at=opening.opens_at.isoformat(),
                closes_at=opening.closes_at.isoformat(),
            )
        call = self._room_for(appointment, now)
        # Joining with eID proves who the citizen is for this appointment (documents with personal data need it).
        self._booking.note_assurance(caller, appointment)
        role = _media_role(caller)
        pid = participant_id(role, appointment.id, caller.subject)
        token = self._tokens.issue(
            pid,
            AUDIENCE_MEDIA,
            timedelta(seconds=JOIN_TOKEN_SECONDS),
            {
                "room": call.room_id,
                "role": role.value,
                "apt": appointment.id,
                "office": appointment.office.lower(),
                "name": _display_name(caller, role, appointment),
                # The node asks us about this session while the person is in the room, and puts them out once it is
                # revoked (sign-out, a disabled account): a join token alone would outlive both.
                "sid": caller.token_id,
            },
        )
        self._audit.record(
            AuditEvent(
                actor=caller.actor,
                action="call.join",
                subject=f"appointment:{appointment.id}",
                outcome=Outcome.SUCCESS,
                context=context,
                purpose="video attention",
                data_subject=appointment.citizen,
                details={"room": call.room_id, "node": call.node_id, "role": role.value},
            )
        )
        return Join(call, pid, role, token.token, self._ice_servers(pid, now), opening)

    def _room_for(self, appointment: Appointment, now: datetime) -> Call:
        """The appointment's room: the current one while its node is alive and the call has not ended, else a new
        room on the least loaded healthy node. Two joins racing for a new room agree on one (conditional write)."""
        epoch = int(now.timestamp())
        for _ in range(SAVE_ATTEMPTS):
            current = self._store.get(appointment.id)
            nodes = self._store.nodes()
            # A full node still hosts the rooms it has: only a dead or draining node loses them.
            if (
                current is not None
                and current.state is not CallState.ENDED
                and any(n.node_id == current.node_id and n.alive(epoch) for n in nodes)
            ):
                return current
            node = choose_node(nodes, epoch)
            if node is None:
                raise DependencyUnavailable(
                    "No video service is available right now; try again in a moment.", code="no_media_node"
                )
            room = Call(
                appointment_id=appointment.id,
                room_id=f"r-{uuid.uuid4().hex}",
                node_id=node.node_id,
                media_url=node.url,
                created_at=now.isoformat(),
                version=(current.version + 1) if current else 1,
                admitted_at=current.admitted_at if current else None,
            )
            if self._store.put(room, current):
                if current is not None:
                    logger.info("call moved to a new room", extra={"node": node.node_id, "previous": current.node_id})
                return room
        raise DependencyUnavailable("The call could not be set up; try again in a moment.")

    def probe_target(self, appointment: Appointment) -> dict[str, Any]:
        """Where a citizen's browser measures its connection for the pre-flight check: the node a call would go to
        now (None when none is healthy) and the ICE servers it would get, TURN credentials valid for minutes."""
        now = self._clock()
        node = choose_node(self._store.nodes(), int(now.timestamp()))
        servers = self._ice_servers(f"preflight-{appointment.id}", now, minutes=PROBE_CREDENTIAL_MINUTES)
        return {"media_url": node.url if node is not None else None, "ice_servers": servers}

    def _ice_servers(self, user: str, now: datetime, minutes: int | None = None) -> list[dict[str, Any]]:
        servers: list[dict[str, Any]] = []
        if self._settings.stun_urls:
            servers.append({"urls": list(self._settings.stun_urls)})
        if self._settings.turn_urls:
            expires = int(now.timestamp()) + (minutes or self._settings.turn_credential_minutes) * 60
            secret = self._secrets.get(self._settings.turn_secret_parameter).encode()
            username, credential = turn_credentials(secret, user, expires)
            servers.append({"urls": list(self._settings.turn_urls), "username": username, "credential": credential})
        return servers

    # --- reports from media nodes ---------------------------------------------------------------------------------
    def report(self, headers: Mapping[str, str], body: bytes, context: RequestContext) -> None:
        """Apply one signed report of a media node; a retried report (same event id) is applied once."""
        node = self._signed_by_node(headers, body)
        event = _event(body)
        appointment_id = event["appointment_id"]
        if not self._store.claim_event(appointment_id, event["event_id"]):
            return
        try:
            self._apply(appointment_id, event)
        except Exception:
            # Let the node's retry apply it: forget that we saw it.
            self._store.forget_event(appointment_id, event["event_id"])
            raise
        self._audit_report(node, event, context)
        if event["type"] == "recording_failed":
            # An alarm watches this (infra observability stack): a recording that cannot be stored is evidence at risk.
            from chalicelib.observability import metrics

            metrics.add_metric(name="RecordingFailed", unit="Count", value=1)
            metrics.flush_metrics()

    def revoked_sessions(self, headers: Mapping[str, str], body: bytes) -> list[str]:
        """Of the sessions a node names (the ``sid`` of its participants' join tokens), those it must put out."""
        self._signed_by_node(headers, body)
        return self._sessions.revoked(_session_ids(body))

    def _signed_by_node(self, headers: Mapping[str, str], body: bytes) -> str:
        """The reporting node's name, once the body is known to be signed with the nodes' secret."""
        secret = self._secrets.get(self._settings.webhook_secret_parameter).encode()
        lower = {k.lower(): v for k, v in headers.items()}
        if not webhook_valid(
            secret, lower.get("x-media-timestamp", ""), body, lower.get("x-media-signature", ""), int(time.time())
        ):
            raise Unauthenticated("invalid_signature", "The request is not signed with the media nodes' secret.")
        return lower.get("x-media-node", "")

    def _apply(self, appointment_id: str, event: dict[str, Any]) -> None:
        if event["type"] in ("recording_complete", "recording_failed"):
            given = event.get("recording")
            recording: dict[str, Any] = given if isinstance(given, dict) else {}
            self._store.put_recording(
                appointment_id,
                event["room_id"],
                {
                    **{k: v for k, v in recording.items() if isinstance(v, str | int | float) and k != "sk"},
                    "status": recording.get("status", "failed") if event["type"] == "recording_complete" else "failed",
                    "detail": event.get("detail") if isinstance(event.get("detail"), str) else None,
                    "reported_at": event["at"],
                },
            )
            if self._records is not None and event["type"] == "recording_complete":
                self._records.register_recording(appointment_id, event["room_id"], recording)
        for _ in range(SAVE_ATTEMPTS):
            current = self._store.get(appointment_id)
            if current is None:
                return
            updated = apply(current, event)
            if updated is current or self._store.save(updated, current.version):
                return
        raise DependencyUnavailable("The call state could not be updated.")

    def _audit_report(self, node: str, event: dict[str, Any], context: RequestContext) -> None:
        kind = event["type"]
        if kind not in ("waiting", "admitted", "ended", "recording_complete", "recording_failed"):
            return  # connection churn is in the node's logs and the recording's manifest, not in the trail
        details = {"room": event["room_id"], "node": node}
        if isinstance(event.get("participant_id"), str):
            details["participant"] = event["participant_id"]
        recording = event.get("recording")
        if isinstance(recording, dict):
            for key in ("bucket", "manifest_key", "manifest_sha256", "status", "segments", "duration_seconds"):
                if recording.get(key) is not None:
                    details[key] = str(recording[key])
        appointment = self._booking.lookup(str(event["appointment_id"]))
        self._audit.record(
            AuditEvent(
                actor=Actor.system(f"media-node:{node or 'unknown'}"),
                action=f"call.{kind}" if not kind.startswith("recording") else kind.replace("_", "."),
                subject=f"appointment:{event['appointment_id']}",
                outcome=Outcome.FAILURE if kind == "recording_failed" else Outcome.SUCCESS,
                context=context,
                purpose="video attention",
                details=details,
                data_subject=appointment.citizen if appointment else None,
            )
        )

    # --- state for the agenda and the appointment page ------------------------------------------------------------
    def has_started(self, appointment_id: str) -> bool:
        """Whether the agent has admitted the citizen (or the call already ended)."""
        state = self.states([appointment_id])[appointment_id]["state"]
        return state in (CallState.IN_CALL.value, CallState.ENDED.value)

    def states(self, appointment_ids: list[str]) -> dict[str, dict[str, Any]]:
        found = self._store.many(appointment_ids) if appointment_ids else {}
        return {i: found[i].to_json() if i in found else dict(IDLE_JSON) for i in appointment_ids}


def _media_role(caller: Principal) -> MediaRole:
    if caller.is_citizen:
        return MediaRole.CITIZEN
    if Role.AGENT in caller.roles:
        return MediaRole.AGENT
    return MediaRole.SUPERVISOR


def _display_name(caller: Principal, role: MediaRole, appointment: Appointment) -> str:
    """What the other participants see: the citizen's given name only (minimisation), a staff member's name."""
    if role is MediaRole.CITIZEN:
        given = (caller.name or appointment.citizen_name or "").strip().split(" ")[0]
        return given[:60] or "Citizen"
    return (caller.name or caller.subject)[:60]


def _event(body: bytes) -> dict[str, Any]:
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed([FieldError("body", "json_object")]) from None
    errors = []
    if not isinstance(event, dict):
        raise ValidationFailed([FieldError("body", "json_object")])
    for name in ("event_id", "type", "room_id", "appointment_id", "at"):
        if not isinstance(event.get(name), str) or not event[name] or len(event[name]) > 200:
            errors.append(FieldError(name, "required_text"))
    if isinstance(event.get("type"), str) and event["type"] not in EVENT_TYPES:
        errors.append(FieldError("type", "media_event_type"))
    if errors:
        raise ValidationFailed(errors)
    return event


def _session_ids(body: bytes) -> list[str]:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed([FieldError("body", "json_object")]) from None
    sessions = parsed.get("sessions") if isinstance(parsed, dict) else None
    if not isinstance(sessions, list) or len(sessions) > MAX_SESSIONS_PER_CHECK:
        raise ValidationFailed([FieldError("sessions", "session_list", count=MAX_SESSIONS_PER_CHECK)])
    if not all(isinstance(s, str) and 0 < len(s) <= 64 for s in sessions):
        raise ValidationFailed([FieldError("sessions", "session_ids", high=64)])
    return sessions
