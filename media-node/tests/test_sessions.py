"""A participant whose API session was revoked (signed out, account disabled) is put out of the call and stays out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from node_fakes import FakeApi, Node, NodeFactory, receive_until

from videoatencion_media.rooms import RoomRegistry
from videoatencion_media.sessions import SessionWatch
from videoatencion_media.webhooks import sign

SECRET = "nodes-shared-secret"  # noqa: S105 - a test's
AGENT = {"sub": "a-joan", "role": "agent", "name": "Joan Agent"}
CITIZEN = {"sub": "c-ana", "role": "citizen", "name": "Ana Puig"}


def watching(api: FakeApi) -> Callable[[RoomRegistry], SessionWatch]:
    return lambda rooms: SessionWatch(rooms, f"{api.url}/media/sessions", SECRET, "node-t", interval=0.05)


async def _until(condition: Callable[[], bool], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - the conditions are the fake API's and the node's state, no event
            await asyncio.sleep(0.01)


async def test_a_signed_out_citizen_is_put_out_and_cannot_come_back_with_that_sign_in(
    make_node: NodeFactory, api: FakeApi
) -> None:
    node: Node = await make_node(sessions=watching(api))
    await node.join(**AGENT)
    agent_ws = await node.socket(**AGENT)
    await node.join(**CITIZEN)
    citizen_ws = await node.socket(**CITIZEN)
    await _until(lambda: len(api.session_checks) >= 1)

    # WHEN the API revokes the citizen's session (they signed out)
    api.revoked_sessions.add("session-of-c-ana")

    # THEN the citizen hears the call is over for them and the agent sees them leave; the agent stays
    ended = await receive_until(citizen_ws, "ended", within=5)
    assert ended["reason"] == "session_revoked"
    left = await receive_until(agent_ws, "left", within=5)
    assert left["participant_id"] == "c-ana"
    room = node.rooms.get("room-1")
    assert room is not None
    assert [p.id for p in room.participants] == ["a-joan"]
    assert ("left", "room-1", "apt-1", {"participant_id": "c-ana", "role": "citizen"}) in node.events.sent
    assert "c-ana" in node.media.rooms["room-1"].disconnected

    # AND a join token fetched with that session before it ended is refused, on both paths
    again = await node.offer(node.token(**CITIZEN))
    assert again.status == 401
    assert (await again.json(content_type=None))["code"] == "session_revoked"
    socket = await node.client.get(f"/rooms/room-1/events?token={node.token(**CITIZEN)}")
    assert socket.status == 401

    # AND signing in again (a new session) lets them back in
    assert await node.join(**CITIZEN, sid="a-new-sign-in") == "c-ana"
    await agent_ws.close()
    await citizen_ws.close()


async def test_the_question_is_signed_with_the_nodes_secret(make_node: NodeFactory, api: FakeApi) -> None:
    node = await make_node(sessions=watching(api))
    await node.join(**AGENT)
    await _until(lambda: len(api.session_checks) >= 1)

    headers, body = api.session_checks[0]

    assert json.loads(body) == {"sessions": ["session-of-a-joan"]}
    assert headers["X-Media-Node"] == "node-t"
    assert headers["X-Media-Signature"] == sign(SECRET, headers["X-Media-Timestamp"], body)


async def test_an_unreachable_api_drops_nobody(make_node: NodeFactory, api: FakeApi) -> None:
    api.sessions_status = 503
    node = await make_node(sessions=watching(api))
    await node.join(**AGENT)

    await _until(lambda: len(api.session_checks) >= 3)

    room = node.rooms.get("room-1")
    assert room is not None
    assert [p.id for p in room.participants] == ["a-joan"]
