"""Rooms without HTTP: counts, capacity, admission by role, node limits and the memory of ended rooms."""

from __future__ import annotations

import pytest

from videoatencion_media.rooms import (
    ROOM_CAPACITY,
    EndReason,
    ForeignRoomError,
    Identity,
    NodeUnavailableError,
    ParticipantState,
    Role,
    RoomEndedError,
    RoomFullError,
    RoomRegistry,
)


async def test_counts_follow_joins_leaves_and_ends() -> None:
    rooms = RoomRegistry()
    room = rooms.open("room-1", "apt-1")
    room.add(Identity("c-1", Role.CITIZEN, "Ana"))
    room.add(Identity("a-1", Role.AGENT, "Joan"))
    assert (rooms.room_count, rooms.participant_count) == (1, 2)

    await room.leave("c-1")
    assert rooms.participant_count == 1

    await room.end("a-1", EndReason.AGENT)
    assert (rooms.room_count, rooms.participant_count) == (0, 0)
    assert rooms.get("room-1") is None


async def test_last_participant_leaving_ends_the_room() -> None:
    rooms = RoomRegistry()
    room = rooms.open("room-1", "apt-1")
    room.add(Identity("a-1", Role.AGENT, "Joan"))

    await room.leave("a-1")

    assert room.ended
    assert rooms.room_count == 0


async def test_opening_an_open_room_returns_the_same_room() -> None:
    rooms = RoomRegistry()

    assert rooms.open("room-1", "apt-1") is rooms.open("room-1", "apt-1")
    assert rooms.room_count == 1
    with pytest.raises(ForeignRoomError):
        rooms.open("room-1", "apt-2")


async def test_agents_and_supervisors_are_admitted_citizens_and_interpreters_wait() -> None:
    room = RoomRegistry().open("room-1", "apt-1")
    states = {
        role: room.add(Identity(f"p-{role.value}", role, role.value)).state
        for role in (Role.CITIZEN, Role.AGENT, Role.INTERPRETER, Role.SUPERVISOR)
    }

    assert states == {
        Role.CITIZEN: ParticipantState.WAITING,
        Role.AGENT: ParticipantState.ADMITTED,
        Role.INTERPRETER: ParticipantState.WAITING,
        Role.SUPERVISOR: ParticipantState.ADMITTED,
    }


async def test_room_refuses_a_participant_beyond_capacity_but_takes_the_same_one_again() -> None:
    room = RoomRegistry().open("room-1", "apt-1")
    for index in range(ROOM_CAPACITY):
        room.add(Identity(f"p{index}", Role.SUPERVISOR, "S"))

    with pytest.raises(RoomFullError):
        room.add(Identity("one-too-many", Role.INTERPRETER, "I"))
    room.add(Identity("p0", Role.SUPERVISOR, "S"))
    assert len(room.participants) == ROOM_CAPACITY


async def test_node_takes_no_new_room_beyond_its_maximum_or_while_draining() -> None:
    rooms = RoomRegistry(max_rooms=1)
    rooms.open("room-1", "apt-1")

    with pytest.raises(NodeUnavailableError, match="max_rooms"):
        rooms.open("room-2", "apt-2")
    rooms.draining = True
    assert rooms.open("room-1", "apt-1") is rooms.get("room-1")
    await rooms.end_all(EndReason.SHUTDOWN)
    with pytest.raises(NodeUnavailableError, match="draining"):
        rooms.open("room-2", "apt-2")


async def test_an_ended_room_does_not_reopen_for_a_token_issued_before_the_end() -> None:
    now = [1000.0]
    rooms = RoomRegistry(clock=lambda: now[0])
    room = rooms.open("room-1", "apt-1", issued_at=990.0)
    room.add(Identity("a-1", Role.AGENT, "Joan"))
    await room.end("a-1", EndReason.AGENT)

    with pytest.raises(RoomEndedError):
        rooms.open("room-1", "apt-1", issued_at=990.0)
    # A token the API issued after the end starts a new call.
    assert not rooms.open("room-1", "apt-1", issued_at=1001.0).ended


async def test_wait_until_empty() -> None:
    rooms = RoomRegistry()
    assert await rooms.wait_until_empty(0.01)
    room = rooms.open("room-1", "apt-1")
    assert not await rooms.wait_until_empty(0.01)
    await room.end(None, EndReason.SHUTDOWN)
    assert await rooms.wait_until_empty(0.01)
