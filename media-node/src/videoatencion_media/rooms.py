"""Rooms and their participants on this node: one room per appointment.

The registry is the node's single source for how loaded it is; /health and /metrics read their counts here and the API
uses them to place new rooms on the least loaded node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# Citizen and agent, plus an interpreter and a supervisor at most (ARCHITECTURE.md, "Media node").
ROOM_CAPACITY = 4


class Role(StrEnum):
    CITIZEN = "citizen"
    AGENT = "agent"
    INTERPRETER = "interpreter"
    SUPERVISOR = "supervisor"


class RoomFullError(Exception):
    """The room already holds as many participants as a call allows (the protocol's 409)."""


@dataclass(frozen=True, slots=True)
class Participant:
    id: str
    role: Role


@dataclass(slots=True)
class Room:
    id: str
    capacity: int = ROOM_CAPACITY
    _participants: dict[str, Participant] = field(default_factory=dict, repr=False)

    @property
    def participants(self) -> tuple[Participant, ...]:
        return tuple(self._participants.values())

    def join(self, participant: Participant) -> None:
        """Add a participant; the same id joining again replaces its earlier entry (a reconnect)."""
        if participant.id not in self._participants and len(self._participants) >= self.capacity:
            raise RoomFullError(self.id)
        self._participants[participant.id] = participant

    def leave(self, participant_id: str) -> None:
        self._participants.pop(participant_id, None)


class RoomRegistry:
    """Rooms open on this node, by room id."""

    def __init__(self) -> None:
        self._rooms: dict[str, Room] = {}

    def open(self, room_id: str) -> Room:
        """The room with this id, created on first use."""
        room = self._rooms.get(room_id)
        if room is None:
            room = self._rooms[room_id] = Room(room_id)
        return room

    def get(self, room_id: str) -> Room | None:
        return self._rooms.get(room_id)

    def close(self, room_id: str) -> None:
        self._rooms.pop(room_id, None)

    @property
    def room_count(self) -> int:
        return len(self._rooms)

    @property
    def participant_count(self) -> int:
        return sum(len(room.participants) for room in self._rooms.values())
