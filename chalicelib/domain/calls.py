"""Calls: when an appointment's call may be joined, which media node hosts its room, and what state it is in.

Pure rules (no AWS): the API's call use case and the media node's reports both go through here.

- The call window opens 15 minutes before the appointment starts and closes 60 minutes after it ends, so a citizen can
  check their devices early and an agent running late can still take the call.
- A room is placed on the least loaded healthy media node: a node whose heartbeat is fresh, that is not draining and
  has room for another call.
- The media node reports what happens in a room (someone waits, is admitted, joins, leaves, the recording is complete);
  ``apply`` folds those reports into the call's state, ignoring reports about an older room of the same appointment.
- TURN credentials follow the TURN REST convention (coturn ``use-auth-secret``): username ``<expiry>:<user>``,
  password ``base64(HMAC-SHA1(secret, username))``, so the TURN server checks them without a database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

OPENS_BEFORE = timedelta(minutes=15)
CLOSES_AFTER = timedelta(minutes=60)
HEARTBEAT_FRESH_SECONDS = 15
JOIN_TOKEN_SECONDS = 120
# A report signed more than this far from our clock is refused (replay of an old, captured report).
WEBHOOK_TOLERANCE_SECONDS = 300


class CallState(StrEnum):
    IDLE = "idle"  # nobody has joined yet
    WAITING = "waiting"  # the citizen is in the waiting room
    IN_CALL = "in_call"  # the citizen has been admitted
    ENDED = "ended"


class RecordingState(StrEnum):
    NONE = "none"
    RECORDING = "recording"
    COMPLETE = "complete"
    FAILED = "failed"


class MediaRole(StrEnum):
    CITIZEN = "citizen"
    AGENT = "agent"
    INTERPRETER = "interpreter"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime

    def contains(self, now: datetime) -> bool:
        return self.opens_at <= now <= self.closes_at


def window(start: datetime, end: datetime) -> Window:
    return Window(start - OPENS_BEFORE, end + CLOSES_AFTER)


def participant_id(role: MediaRole, appointment_id: str, subject: str) -> str:
    """A stable id per appointment and person, so a reconnecting participant is recognised as the same one.

    A citizen's id names no personal data (one citizen per appointment); staff ids carry the username, since staff
    act in their official capacity and the recording must say who served the citizen.
    """
    if role is MediaRole.CITIZEN:
        return "c-" + hashlib.sha256(f"{appointment_id}:citizen".encode()).hexdigest()[:16]
    return f"{role.value[0]}-{subject}"


@dataclass(frozen=True)
class MediaNode:
    node_id: str
    url: str
    rooms: int
    participants: int
    max_rooms: int
    cpu: float
    draining: bool
    heartbeat_at: int  # epoch seconds

    def alive(self, now: int) -> bool:
        """Heartbeat fresh and not draining: it keeps hosting the rooms it has."""
        return now - self.heartbeat_at <= HEARTBEAT_FRESH_SECONDS and not self.draining

    def healthy(self, now: int) -> bool:
        """Alive and with room for another call: it may take a new room."""
        return self.alive(now) and self.rooms < self.max_rooms

    @property
    def load(self) -> tuple[float, float]:
        return (self.rooms / self.max_rooms if self.max_rooms else 1.0, self.cpu)


def choose_node(nodes: list[MediaNode], now: int) -> MediaNode | None:
    """The least loaded healthy node (fewest rooms for its size, then least CPU), or None."""
    healthy = [n for n in nodes if n.healthy(now)]
    return min(healthy, key=lambda n: (*n.load, n.node_id)) if healthy else None


@dataclass(frozen=True)
class Participant:
    role: str
    state: str  # waiting | admitted | joined | reconnecting | left
    since: str  # ISO time of the last change


@dataclass(frozen=True)
class Call:
    appointment_id: str
    room_id: str
    node_id: str
    media_url: str
    state: CallState = CallState.IDLE
    created_at: str = ""
    waiting_since: str | None = None
    participants: dict[str, Participant] = field(default_factory=dict)
    recording: RecordingState = RecordingState.NONE
    ended_at: str | None = None
    version: int = 1
    # When the citizen was first admitted (kept afterwards, through a move to another room): the supervisor's figures
    # measure the wait up to it and the call's length from it.
    admitted_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        present = ("waiting", "admitted", "joined")
        citizen_connected = any(p.role == MediaRole.CITIZEN and p.state in present for p in self.participants.values())
        return {
            "state": self.state.value,
            "waiting_since": self.waiting_since if self.state is CallState.WAITING else None,
            "room_id": self.room_id,
            "citizen_connected": citizen_connected,
            "recording": self.recording.value,
        }


IDLE_JSON: dict[str, Any] = {
    "state": CallState.IDLE.value,
    "waiting_since": None,
    "room_id": None,
    "citizen_connected": False,
    "recording": RecordingState.NONE.value,
}

EVENT_TYPES = frozenset(
    {"waiting", "admitted", "joined", "left", "reconnecting", "ended", "recording_complete", "recording_failed"}
)


def apply(call: Call, event: dict[str, Any]) -> Call:
    """The call after one report from its media node; reports about another room leave it unchanged."""
    if event.get("room_id") != call.room_id:
        return call
    kind = event["type"]
    at = str(event["at"])
    participants = dict(call.participants)
    pid = event.get("participant_id")
    role = str(event.get("role") or "")
    if isinstance(pid, str) and kind in ("waiting", "admitted", "joined", "left", "reconnecting"):
        known = participants.get(pid)
        state = "joined" if kind == "joined" and known and known.state == "admitted" else kind
        if kind == "joined" and known and known.state == "waiting":
            state = "waiting"  # media connected but still in the waiting room
        participants[pid] = Participant(role or (known.role if known else ""), state, at)
    updated = replace(call, participants=participants, version=call.version + 1)
    if call.state is CallState.ENDED and kind not in ("recording_complete", "recording_failed"):
        return replace(updated, participants=call.participants)
    if kind == "waiting" and role == MediaRole.CITIZEN:
        # Reconnecting while waiting keeps the original place in the queue.
        since = call.waiting_since if call.state is CallState.WAITING and call.waiting_since else at
        return replace(updated, state=CallState.WAITING, waiting_since=since)
    if kind == "admitted" and role in (MediaRole.CITIZEN, MediaRole.INTERPRETER):
        admitted = call.admitted_at if call.admitted_at else at if role == MediaRole.CITIZEN else None
        return replace(
            updated, state=CallState.IN_CALL, recording=_recording_started(call.recording), admitted_at=admitted
        )
    if kind == "left" and role == MediaRole.CITIZEN and call.state is CallState.WAITING:
        return replace(updated, state=CallState.IDLE, waiting_since=None)
    if kind == "ended":
        return replace(updated, state=CallState.ENDED, ended_at=at)
    if kind == "recording_complete":
        return replace(updated, recording=RecordingState.COMPLETE)
    if kind == "recording_failed":
        return replace(updated, recording=RecordingState.FAILED)
    return updated


def _recording_started(current: RecordingState) -> RecordingState:
    return RecordingState.RECORDING if current is RecordingState.NONE else current


def turn_credentials(secret: bytes, user: str, expires_at: int) -> tuple[str, str]:
    """TURN REST API credentials valid until ``expires_at`` (epoch seconds)."""
    username = f"{expires_at}:{user}"
    digest = hmac.new(secret, username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def webhook_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    return "v1=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def webhook_valid(secret: bytes, timestamp: str, body: bytes, signature: str, now: int) -> bool:
    """True if the report was signed with the shared secret within the tolerance (constant-time comparison)."""
    if not (timestamp.isascii() and timestamp.isdigit()):
        return False
    if abs(now - int(timestamp)) > WEBHOOK_TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(webhook_signature(secret, timestamp, body), signature)
