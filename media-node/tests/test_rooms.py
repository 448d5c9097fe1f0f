from __future__ import annotations

import pytest

from videoatencion_media.rooms import ROOM_CAPACITY, Participant, Role, RoomFullError, RoomRegistry


def test_counts_follow_joins_leaves_and_closes() -> None:
    rooms = RoomRegistry()
    room = rooms.open("appointment-1")
    room.join(Participant("citizen", Role.CITIZEN))
    room.join(Participant("agent", Role.AGENT))
    assert (rooms.room_count, rooms.participant_count) == (1, 2)

    room.leave("citizen")
    assert rooms.participant_count == 1

    rooms.close("appointment-1")
    assert (rooms.room_count, rooms.participant_count) == (0, 0)
    assert rooms.get("appointment-1") is None


def test_opening_an_open_room_returns_the_same_room() -> None:
    rooms = RoomRegistry()

    assert rooms.open("appointment-1") is rooms.open("appointment-1")
    assert rooms.room_count == 1


def test_room_refuses_a_participant_beyond_capacity_but_takes_a_reconnect() -> None:
    room = RoomRegistry().open("appointment-1")
    for index in range(ROOM_CAPACITY):
        room.join(Participant(f"p{index}", Role.SUPERVISOR))

    with pytest.raises(RoomFullError):
        room.join(Participant("one-too-many", Role.INTERPRETER))
    room.join(Participant("p0", Role.SUPERVISOR))
    assert len(room.participants) == ROOM_CAPACITY
