"""Rooms and their participants on this node: one room per appointment.

A room knows who is in it (role, name, waiting or admitted, connected, audio-only), applies the admission rules, keeps
a participant whose connection dropped for a grace period (a phone moving from wifi to 4G comes back with a new offer),
fans every event out to the participants' WebSockets and reports it to the API. Media is the engine's business: the
room drives it through ``MediaSession`` and never touches aiortc.

The registry is the node's single source for how loaded it is; /health, /metrics and the node registry read their
counts here and the API uses them to place new rooms on the least loaded node.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from videoatencion_media.protocol import (
    Admit,
    AudioOnly,
    Chat,
    ClientMessage,
    End,
    RefusedError,
    now_iso,
    parse_message,
)

# Citizen and agent, plus an interpreter and a supervisor at most (ARCHITECTURE.md, "Media node").
ROOM_CAPACITY = 4
MAX_SOCKETS_PER_PARTICIPANT = 4
# A token issued before a room ended cannot open it again (a new call needs a new token from the API).
ENDED_MEMORY_SECONDS = 600.0

logger = logging.getLogger(__name__)


class Role(StrEnum):
    CITIZEN = "citizen"
    AGENT = "agent"
    INTERPRETER = "interpreter"
    SUPERVISOR = "supervisor"


ADMITTED_ON_JOIN = frozenset({Role.AGENT, Role.SUPERVISOR})
MAY_ADMIT = frozenset({Role.AGENT, Role.SUPERVISOR})
MAY_END = frozenset({Role.AGENT})


class ParticipantState(StrEnum):
    WAITING = "waiting"
    ADMITTED = "admitted"


class EndReason(StrEnum):
    AGENT = "ended_by_agent"
    EMPTY = "empty"
    SHUTDOWN = "node_shutdown"
    # Only for the participant put out: the call goes on for the others.
    SESSION_REVOKED = "session_revoked"


class RoomFullError(Exception):
    """The room already holds as many participants as a call allows (409)."""


class RoomEndedError(Exception):
    """The room was ended and this token predates the end (409)."""


class ForeignRoomError(Exception):
    """The room on this node belongs to another appointment than the token's (403)."""


class NodeUnavailableError(Exception):
    """The node takes no new room: it is draining or has as many rooms as it may hold (503)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MediaSession(Protocol):
    """What a room needs of the media engine's ``RoomMedia``."""

    on_connection_state: Callable[[str, str], None] | None
    on_message: Callable[[str, dict[str, Any]], None] | None

    async def connect(self, participant_id: str, offer_sdp: str) -> str: ...
    def set_admitted(self, participant_id: str, admitted: bool) -> None: ...
    def set_audio_only(self, participant_id: str, on: bool) -> None: ...
    def send(self, participant_id: str, message: dict[str, Any]) -> bool: ...
    async def disconnect(self, participant_id: str) -> None: ...
    async def close(self) -> None: ...


class Recorder(Protocol):
    """What a room writes into its recording besides media: who took part, notes and the chat transcript."""

    def add_participant(self, participant_id: str, role: str, name: str) -> None: ...
    def note(self, event: dict[str, Any]) -> None: ...
    def chat(self, participant_id: str, name: str, text: str, at: str) -> None: ...
    def finish(self) -> Path: ...


@dataclass(frozen=True, slots=True)
class MediaBundle:
    media: MediaSession
    recorder: Recorder | None


class MediaFactory(Protocol):
    @property
    def records(self) -> bool: ...

    def create(self, room_id: str, appointment_id: str) -> MediaBundle: ...


class RoomEvents(Protocol):
    """Where room events go besides the participants: the API's webhooks."""

    def emit(self, event_type: str, room_id: str, appointment_id: str, fields: dict[str, Any]) -> None: ...


class NoEvents:
    def emit(self, event_type: str, room_id: str, appointment_id: str, fields: dict[str, Any]) -> None:
        return None


class EventSink(Protocol):
    """One events WebSocket: takes events in order without blocking, closes once they are sent."""

    def deliver(self, event: Mapping[str, Any]) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is joining, as the join token says."""

    participant_id: str
    role: Role
    name: str


@dataclass(slots=True)
class Participant:
    id: str
    role: Role
    name: str
    state: ParticipantState
    since: str = field(default_factory=now_iso)
    connected: bool = False
    audio_only: bool = False
    # Set on the first "connected", so the next one is a reconnection.
    has_connected: bool = False
    # "reconnecting" was announced for the current drop.
    dropped: bool = False

    @property
    def admitted(self) -> bool:
        return self.state is ParticipantState.ADMITTED

    def describe(self) -> dict[str, Any]:
        return {
            "participant_id": self.id,
            "role": self.role.value,
            "name": self.name,
            "state": self.state.value,
            "since": self.since,
            "connected": self.connected,
            "audio_only": self.audio_only,
        }


class Room:
    def __init__(
        self,
        room_id: str,
        appointment_id: str,
        *,
        media: MediaFactory | None = None,
        events: RoomEvents | None = None,
        grace_seconds: float = 60.0,
        capacity: int = ROOM_CAPACITY,
        on_ended: Callable[[Room], None] | None = None,
    ) -> None:
        self.id = room_id
        self.appointment_id = appointment_id
        self.capacity = capacity
        self.grace_seconds = grace_seconds
        self.ended = False
        self._media_factory = media
        self._events: RoomEvents = events if events is not None else NoEvents()
        self._on_ended = on_ended
        self._participants: dict[str, Participant] = {}
        self._reserved: set[str] = set()
        self._connecting: set[str] = set()
        self._offer_locks: dict[str, asyncio.Lock] = {}
        self._sinks: dict[str, list[EventSink]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._idle_timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._bundle: MediaBundle | None = None
        self._recorded: set[str] = set()
        self._had_participants = False

    # --- what the room looks like -----------------------------------------------------------------------------------

    @property
    def participants(self) -> tuple[Participant, ...]:
        return tuple(self._participants.values())

    def participant(self, participant_id: str) -> Participant | None:
        return self._participants.get(participant_id)

    @property
    def recording(self) -> bool:
        return self._media_factory is not None and self._media_factory.records

    def state_for(self, participant_id: str) -> dict[str, Any]:
        return {
            "type": "state",
            "you": participant_id,
            "room_id": self.id,
            "participants": [participant.describe() for participant in self._participants.values()],
            "recording": self.recording,
        }

    # --- joining ----------------------------------------------------------------------------------------------------

    def add(self, identity: Identity) -> Participant:
        """Put a participant in the room (waiting or admitted by role) and tell everyone; RoomFullError when full."""
        existing = self._participants.get(identity.participant_id)
        if existing is not None:
            return existing
        if len(self._participants) + len(self._reserved - {identity.participant_id}) >= self.capacity:
            raise RoomFullError(self.id)
        admitted = identity.role in ADMITTED_ON_JOIN
        participant = Participant(
            identity.participant_id,
            identity.role,
            identity.name,
            ParticipantState.ADMITTED if admitted else ParticipantState.WAITING,
        )
        self._participants[participant.id] = participant
        self._had_participants = True
        self._cancel_idle()
        if admitted:
            self._record_participant(participant)
            self._publish({"type": "admitted", "participant_id": participant.id}, participant)
        else:
            self._publish(
                {
                    "type": "waiting",
                    "participant_id": participant.id,
                    "role": participant.role.value,
                    "name": participant.name,
                    "since": participant.since,
                },
                participant,
            )
        return participant

    async def offer(self, identity: Identity, offer_sdp: str) -> str:
        """Connect a participant's peer connection and return the answer SDP.

        A second offer of the same participant is a reconnection: its new peer connection replaces the old one and the
        room, the others and the recording carry on. Raises RoomFullError, RoomEndedError, or the engine's InvalidOffer.
        """
        pid = identity.participant_id
        lock = self._offer_locks.setdefault(pid, asyncio.Lock())
        async with lock:
            if self.ended:
                raise RoomEndedError(self.id)
            existing = self._participants.get(pid)
            if existing is None:
                # Reserved before the engine is awaited, so two concurrent offers cannot both take the last place.
                if len(self._participants) + len(self._reserved) >= self.capacity:
                    raise RoomFullError(self.id)
                self._reserved.add(pid)
            self._connecting.add(pid)
            try:
                media = self._ensure_media()
                answer = await media.connect(pid, offer_sdp)
            except BaseException:
                self._reserved.discard(pid)
                self._check_idle()
                raise
            finally:
                self._connecting.discard(pid)
            if self.ended:
                raise RoomEndedError(self.id)
            self._reserved.discard(pid)
            participant = existing if existing is not None else self.add(identity)
            if participant.connected:
                # Its old peer connection has just been replaced: a reconnection the others hear about.
                self._dropped(participant)
            media.set_admitted(pid, participant.admitted)
            media.set_audio_only(pid, participant.audio_only)
            # It has the grace period to connect; "connected" cancels the timer.
            self._start_grace(pid)
            return answer

    def _ensure_media(self) -> MediaSession:
        if self._bundle is None:
            if self._media_factory is None:
                raise RuntimeError("this room has no media engine")
            self._bundle = self._media_factory.create(self.id, self.appointment_id)
            self._bundle.media.on_connection_state = self._connection_state
            self._bundle.media.on_message = self._media_message
        return self._bundle.media

    @property
    def _recorder(self) -> Recorder | None:
        return None if self._bundle is None else self._bundle.recorder

    # --- the engine's callbacks -------------------------------------------------------------------------------------

    def _connection_state(self, participant_id: str, state: str) -> None:
        participant = self._participants.get(participant_id)
        if participant is None or self.ended:
            return
        if state == "connected":
            self._cancel_grace(participant_id)
            reconnected = participant.has_connected
            participant.connected = participant.has_connected = True
            participant.dropped = False
            self._publish(
                {
                    "type": "joined",
                    "participant_id": participant.id,
                    "role": participant.role.value,
                    "name": participant.name,
                    "reconnected": reconnected,
                },
                participant,
            )
        elif state in ("disconnected", "failed", "closed") and participant_id not in self._connecting:
            # While a new offer is being connected, the old peer connection closing is the reconnection itself.
            self._dropped(participant)
            self._start_grace(participant_id)

    def _dropped(self, participant: Participant) -> None:
        participant.connected = False
        if participant.has_connected and not participant.dropped:
            participant.dropped = True
            self._publish({"type": "reconnecting", "participant_id": participant.id}, participant)

    def _media_message(self, participant_id: str, message: dict[str, Any]) -> None:
        async def handle() -> None:
            try:
                await self.handle(participant_id, parse_message(message))
            except RefusedError as refused:
                if self._bundle is not None:
                    self._bundle.media.send(participant_id, refused.as_event())

        self._spawn(handle())

    # --- client messages --------------------------------------------------------------------------------------------

    async def handle(self, participant_id: str, message: ClientMessage) -> None:
        """Act on a validated client message; RefusedError when this participant may not do it now."""
        if self.ended:
            raise RefusedError("room_ended", "The call has ended.")
        sender = self._participants.get(participant_id)
        if sender is None:
            raise RefusedError("not_joined", "Send an offer to join the room first.")
        if isinstance(message, Admit):
            self._admit(sender, message.participant_id)
        elif isinstance(message, Chat):
            self._chat(sender, message.text)
        elif isinstance(message, AudioOnly):
            self._audio_only(sender, message.on)
        elif isinstance(message, End):
            if sender.role not in MAY_END:
                raise RefusedError("forbidden", "Only the agent can end the call.")
            await self.end(sender.id, EndReason.AGENT)

    def _admit(self, sender: Participant, target_id: str) -> None:
        if sender.role not in MAY_ADMIT or not sender.admitted:
            raise RefusedError("forbidden", "Only an agent or a supervisor can admit participants.")
        target = self._participants.get(target_id)
        if target is None:
            raise RefusedError("unknown_participant", "No such participant in this room.")
        if target.admitted:
            raise RefusedError("already_admitted", "This participant is already admitted.")
        target.state = ParticipantState.ADMITTED
        target.since = now_iso()
        if self._bundle is not None:
            self._bundle.media.set_admitted(target.id, True)
        self._record_participant(target)
        self._publish({"type": "admitted", "participant_id": target.id}, target, by=sender.id)

    def _chat(self, sender: Participant, text: str) -> None:
        if not sender.admitted:
            raise RefusedError("not_admitted", "Chat opens once the agent lets you in.")
        at = now_iso()
        message = {
            "type": "chat",
            "id": uuid.uuid4().hex,
            "from": sender.id,
            "role": sender.role.value,
            "name": sender.name,
            "text": text,
            "at": at,
        }
        for participant in self._participants.values():
            if participant.id == sender.id or not participant.admitted:
                continue
            for sink in self._sinks.get(participant.id, ()):
                sink.deliver(message)
            if self._bundle is not None:
                self._bundle.media.send(participant.id, message)
        recorder = self._recorder
        if recorder is not None:
            recorder.chat(sender.id, sender.name, text, at)

    def _audio_only(self, sender: Participant, on: bool) -> None:
        if sender.audio_only == on:
            return
        sender.audio_only = on
        if self._bundle is not None:
            self._bundle.media.set_audio_only(sender.id, on)
        self._publish({"type": "audio_only", "participant_id": sender.id, "on": on}, sender, webhook=False)

    # --- WebSockets -------------------------------------------------------------------------------------------------

    def subscribe(self, participant_id: str, sink: EventSink) -> None:
        """Attach a WebSocket: it gets the room's state at once, then every event; at most a few per participant."""
        sinks = self._sinks.setdefault(participant_id, [])
        while len(sinks) >= MAX_SOCKETS_PER_PARTICIPANT:
            sinks.pop(0).close()
        sink.deliver(self.state_for(participant_id))
        sinks.append(sink)

    def unsubscribe(self, participant_id: str, sink: EventSink) -> None:
        sinks = self._sinks.get(participant_id, [])
        if sink in sinks:
            sinks.remove(sink)
        if not sinks:
            self._sinks.pop(participant_id, None)
        self._check_idle()

    # --- leaving and ending -----------------------------------------------------------------------------------------

    async def leave(self, participant_id: str) -> None:
        participant = self._participants.get(participant_id)
        if participant is None or self.ended:
            return
        self._cancel_grace(participant_id)
        self._publish({"type": "left", "participant_id": participant_id}, participant)
        del self._participants[participant_id]
        for sink in self._sinks.pop(participant_id, []):
            sink.close()
        if self._bundle is not None:
            await self._quietly(self._bundle.media.disconnect(participant_id), "disconnect")
        if not self._participants and not self._reserved:
            await self.end(None, EndReason.EMPTY)

    async def revoke(self, participant_id: str) -> None:
        """Put out a participant whose session the API revoked (sign-out, a disabled account): its sockets hear why
        and close, its peer connection goes, and the others see it leave. The call carries on for them."""
        for sink in self._sinks.pop(participant_id, []):
            sink.deliver({"type": "ended", "by": None, "reason": EndReason.SESSION_REVOKED.value})
            sink.close()
        await self.leave(participant_id)
        self._check_idle()

    async def end(self, by: str | None, reason: str) -> None:
        """End the call: everyone is told and disconnected, the recording is finished, the room leaves the node."""
        if self.ended:
            return
        self.ended = True
        for pid in list(self._timers):
            self._cancel_grace(pid)
        self._cancel_idle()
        event = {"type": "ended", "by": by, "reason": str(reason)}
        for sinks in self._sinks.values():
            for sink in sinks:
                sink.deliver(event)
                sink.close()
        self._sinks.clear()
        if self._had_participants:
            self._events.emit("ended", self.id, self.appointment_id, {"by": by, "reason": str(reason)})
            if self._recorder is not None:
                # The engine notes connections, admissions and audio-only; who ended the call only the room knows.
                self._recorder.note({"type": "ended", "by": by, "reason": str(reason)})
        if self._on_ended is not None:
            self._on_ended(self)
        if self._bundle is not None:
            # Closing the engine's room finishes the recording; the uploader takes it from there.
            await self._quietly(self._bundle.media.close(), "close")

    # --- timers -----------------------------------------------------------------------------------------------------

    def _start_grace(self, participant_id: str) -> None:
        if participant_id in self._timers:
            self._timers.pop(participant_id).cancel()
        loop = asyncio.get_running_loop()
        self._timers[participant_id] = loop.call_later(
            self.grace_seconds, lambda: self._spawn(self._grace_expired(participant_id))
        )

    async def _grace_expired(self, participant_id: str) -> None:
        self._timers.pop(participant_id, None)
        participant = self._participants.get(participant_id)
        if participant is not None and not participant.connected:
            await self.leave(participant_id)

    def _cancel_grace(self, participant_id: str) -> None:
        timer = self._timers.pop(participant_id, None)
        if timer is not None:
            timer.cancel()

    def _check_idle(self) -> None:
        """A room nobody joined (only sockets, or a refused first offer) goes after the grace period."""
        if self.ended or self._participants or self._reserved or self._idle_timer is not None:
            return
        loop = asyncio.get_running_loop()
        self._idle_timer = loop.call_later(self.grace_seconds, lambda: self._spawn(self._idle_expired()))

    async def _idle_expired(self) -> None:
        self._idle_timer = None
        if not self._participants and not self._reserved:
            await self.end(None, EndReason.EMPTY)

    def _cancel_idle(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def start_idle_timer(self) -> None:
        self._check_idle()

    # --- plumbing ---------------------------------------------------------------------------------------------------

    def _publish(
        self, event: dict[str, Any], subject: Participant, *, by: str | None = None, webhook: bool = True
    ) -> None:
        for sinks in self._sinks.values():
            for sink in sinks:
                sink.deliver(event)
        if webhook:
            fields: dict[str, Any] = {"participant_id": subject.id, "role": subject.role.value}
            if by is not None:
                fields["by"] = by
            self._events.emit(str(event["type"]), self.id, self.appointment_id, fields)

    def _record_participant(self, participant: Participant) -> None:
        recorder = self._recorder
        if recorder is not None and participant.id not in self._recorded:
            self._recorded.add(participant.id)
            recorder.add_participant(participant.id, participant.role.value, participant.name)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _quietly(self, action: Coroutine[Any, Any, None], what: str) -> None:
        try:
            await action
        except Exception:
            logger.exception("media engine failed", extra={"room_id": self.id, "action": what})


class RoomRegistry:
    """Rooms open on this node, by room id."""

    def __init__(
        self,
        media: MediaFactory | None = None,
        events: RoomEvents | None = None,
        *,
        max_rooms: int = 20,
        grace_seconds: float = 60.0,
        capacity: int = ROOM_CAPACITY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.media = media
        self.events: RoomEvents = events if events is not None else NoEvents()
        self.max_rooms = max_rooms
        self.grace_seconds = grace_seconds
        self.capacity = capacity
        self.draining = False
        self._clock = clock
        self._rooms: dict[str, Room] = {}
        self._ended: dict[str, float] = {}
        self._emptied = asyncio.Event()
        self._emptied.set()

    def open(self, room_id: str, appointment_id: str, *, issued_at: float | None = None) -> Room:
        """The room with this id, created on first use unless the node is draining or full."""
        room = self._rooms.get(room_id)
        if room is not None:
            if room.appointment_id != appointment_id:
                raise ForeignRoomError(room_id)
            return room
        self._forget_old_ends()
        ended_at = self._ended.get(room_id)
        if ended_at is not None and (issued_at is None or issued_at <= ended_at):
            raise RoomEndedError(room_id)
        if self.draining:
            raise NodeUnavailableError("draining")
        if len(self._rooms) >= self.max_rooms:
            raise NodeUnavailableError("max_rooms")
        room = self._rooms[room_id] = Room(
            room_id,
            appointment_id,
            media=self.media,
            events=self.events,
            grace_seconds=self.grace_seconds,
            capacity=self.capacity,
            on_ended=self._room_ended,
        )
        self._emptied.clear()
        return room

    def get(self, room_id: str) -> Room | None:
        return self._rooms.get(room_id)

    def _room_ended(self, room: Room) -> None:
        if self._rooms.get(room.id) is room:
            del self._rooms[room.id]
            self._ended[room.id] = self._clock()
        if not self._rooms:
            self._emptied.set()

    def _forget_old_ends(self) -> None:
        horizon = self._clock() - ENDED_MEMORY_SECONDS
        for room_id in [room_id for room_id, at in self._ended.items() if at < horizon]:
            del self._ended[room_id]

    async def wait_until_empty(self, within: float) -> bool:
        """True once no room is left, False if some remain after ``within`` seconds."""
        try:
            async with asyncio.timeout(within):
                await self._emptied.wait()
        except TimeoutError:
            return False
        return True

    async def end_all(self, reason: str) -> None:
        for room in list(self._rooms.values()):
            with contextlib.suppress(Exception):
                await room.end(None, reason)

    @property
    def rooms(self) -> tuple[Room, ...]:
        return tuple(self._rooms.values())

    @property
    def room_count(self) -> int:
        return len(self._rooms)

    @property
    def participant_count(self) -> int:
        return sum(len(room.participants) for room in self._rooms.values())
