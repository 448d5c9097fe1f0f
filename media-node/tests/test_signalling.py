"""Signalling as a client sees it: offers, the events WebSocket, admission, chat, reconnection, limits and bad input.

The media engine is a fake here (conftest.FakeMedia): what is under test is what the node says and refuses.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from node_fakes import LOOSE_LIMITS, OFFER_SDP, Node, NodeFactory, receive, receive_until

from videoatencion_media.limits import Rate, SignallingLimits

AGENT = {"sub": "a-joan", "role": "agent", "name": "Joan Agent"}
CITIZEN = {"sub": "c-ana", "role": "citizen", "name": "Ana Puig"}
SUPERVISOR = {"sub": "a-sup", "role": "supervisor", "name": "Sílvia Sup"}
INTERPRETER = {"sub": "i-1", "role": "interpreter", "name": "Iris"}


async def _problem(response: aiohttp.ClientResponse, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json(content_type=None)
    return body


async def _drain(ws: Any, within: float = 0.3) -> list[dict[str, Any]]:
    """Every message the socket gets until it is quiet for ``within`` seconds."""
    messages: list[dict[str, Any]] = []
    while True:
        try:
            messages.append(await receive(ws, within))
        except TimeoutError:
            return messages


# ---- offers ----------------------------------------------------------------------------------------------------------


async def test_offer_is_answered_and_a_citizen_waits(node: Node) -> None:
    response = await node.offer(node.token(**CITIZEN))

    assert response.status == 200
    body = await response.json()
    assert body == {"sdp": "v=0\r\ns=answer for c-ana\r\n", "type": "answer", "participant_id": "c-ana"}
    media = node.media.rooms["room-1"]
    assert media.admitted == {"c-ana": False}
    assert node.events.sent == [("waiting", "room-1", "apt-1", {"participant_id": "c-ana", "role": "citizen"})]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("not json", "JSON object"),
        ([1, 2], "JSON object"),
        ({"type": "answer", "sdp": OFFER_SDP}, '"offer"'),
        ({"type": "offer"}, "sdp"),
        ({"type": "offer", "sdp": "hello"}, "v=0"),
        ({"type": "offer", "sdp": "v=0\r\ns=-\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"}, "no audio"),
        ({"type": "offer", "sdp": OFFER_SDP.replace("VP8", "H264")}, "VP8"),
        ({"type": "offer", "sdp": OFFER_SDP.replace("opus", "PCMU")}, "Opus"),
        ({"type": "offer", "sdp": OFFER_SDP + "a=bad\r\n"}, "fake engine"),
        ({"type": "offer", "sdp": "v=0" + "x" * 70_000}, "too large"),
    ],
)
async def test_malformed_offer_is_400(node: Node, body: object, detail: str) -> None:
    if isinstance(body, dict):
        body = {**body, "token": node.token(**CITIZEN)}
    if isinstance(body, str):
        response = await node.client.post("/rooms/room-1/offer", data=body)
    else:
        response = await node.client.post("/rooms/room-1/offer", json=body)

    problem = await _problem(response, 400)
    assert problem["code"] == "invalid_offer"
    assert detail in problem["detail"]
    assert node.events.sent == []


async def test_missing_or_bad_token_is_401_and_another_rooms_token_403(node: Node) -> None:
    assert (await _problem(await node.offer(None), 401))["code"] == "invalid_token"
    expired = node.token(iat=int(time.time()) - 600, nbf=int(time.time()) - 600, exp=int(time.time()) - 300)
    assert (await _problem(await node.offer(expired), 401))["code"] == "invalid_token"
    assert (await _problem(await node.offer("not.a.jwt"), 401))["code"] == "invalid_token"

    other_room = node.token(room="room-2")
    assert (await _problem(await node.offer(other_room), 403))["code"] == "wrong_room"
    assert node.rooms.room_count == 0


async def test_fifth_participant_gets_409_but_a_reconnection_gets_in(node: Node) -> None:
    for index in range(4):
        await node.join(sub=f"a-{index}", role="agent")

    problem = await _problem(await node.offer(node.token(**CITIZEN)), 409)
    assert problem["code"] == "room_full"
    assert await node.join(sub="a-0", role="agent") == "a-0"
    assert node.rooms.participant_count == 4


async def test_beyond_max_rooms_new_rooms_get_503_existing_ones_still_work(make_node: NodeFactory) -> None:
    node = await make_node(max_rooms=1)
    await node.join(**AGENT)

    response = await node.offer(node.token(room="room-2", apt="apt-2", **CITIZEN), room="room-2")

    problem = await _problem(response, 503)
    assert problem["code"] == "node_max_rooms"
    assert response.headers["Retry-After"].isdigit()
    assert await node.join(**CITIZEN) == "c-ana"


async def test_offer_flood_from_one_address_gets_429(make_node: NodeFactory) -> None:
    limits = SignallingLimits(offers_per_ip=Rate(0.01, 3), offers_per_participant=Rate(100.0, 100))
    node = await make_node(limits=limits)
    for index in range(3):
        await node.join(sub=f"a-{index}", role="agent")

    response = await node.offer(node.token(**CITIZEN))

    assert (await _problem(response, 429))["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 1


async def test_offer_flood_from_one_participant_gets_429(make_node: NodeFactory) -> None:
    limits = SignallingLimits(offers_per_ip=Rate(100.0, 100), offers_per_participant=Rate(0.01, 2))
    node = await make_node(limits=limits)
    await node.join(**CITIZEN)
    await node.join(**CITIZEN)

    assert (await _problem(await node.offer(node.token(**CITIZEN)), 429))["code"] == "rate_limited"
    assert await node.join(**AGENT) == "a-joan"


# ---- the events WebSocket --------------------------------------------------------------------------------------------


async def test_socket_needs_a_good_token_for_its_room(node: Node) -> None:
    for query, status in (("", 401), ("?token=garbage", 401), (f"?token={node.token(room='room-2')}", 403)):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await node.client.ws_connect(f"/rooms/room-1/events{query}")
        assert refused.value.status == status


async def test_waiting_admission_and_state(node: Node) -> None:
    agent_ws = await node.socket(**AGENT)
    await node.join(**AGENT)
    assert await receive(agent_ws) == {"type": "admitted", "participant_id": "a-joan"}

    await node.join(**CITIZEN)
    waiting = await receive(agent_ws)
    assert waiting["type"] == "waiting"
    assert (waiting["participant_id"], waiting["role"], waiting["name"]) == ("c-ana", "citizen", "Ana Puig")
    assert waiting["since"]

    citizen_ws = await node.client.ws_connect(f"/rooms/room-1/events?token={node.token(**CITIZEN)}")
    state = await receive(citizen_ws)
    assert state["you"] == "c-ana"
    assert state["room_id"] == "room-1"
    assert state["recording"] is True
    assert {(p["participant_id"], p["state"], p["connected"], p["audio_only"]) for p in state["participants"]} == {
        ("a-joan", "admitted", False, False),
        ("c-ana", "waiting", False, False),
    }

    await agent_ws.send_json({"type": "admit", "participant_id": "c-ana"})

    assert await receive(agent_ws) == {"type": "admitted", "participant_id": "c-ana"}
    assert await receive(citizen_ws) == {"type": "admitted", "participant_id": "c-ana"}
    media = node.media.rooms["room-1"]
    assert media.admitted == {"a-joan": True, "c-ana": True}
    assert [p[0] for p in media.recorder.participants] == ["a-joan", "c-ana"]
    assert ("admitted", "room-1", "apt-1", {"participant_id": "c-ana", "role": "citizen", "by": "a-joan"}) in (
        node.events.sent
    )


async def test_joined_when_media_connects(node: Node) -> None:
    agent_ws = await node.socket(**AGENT)
    await node.join(**AGENT)
    await node.join(**CITIZEN)

    node.media.rooms["room-1"].state("c-ana", "connected")

    joined = await receive_until(agent_ws, "joined")
    assert joined == {
        "type": "joined",
        "participant_id": "c-ana",
        "role": "citizen",
        "name": "Ana Puig",
        "reconnected": False,
    }
    assert node.rooms.get("room-1") is not None
    assert node.rooms.get("room-1").participant("c-ana").connected  # type: ignore[union-attr]
    assert "joined" in node.events.types()


@pytest.mark.parametrize(
    ("who", "message", "code"),
    [
        (CITIZEN, {"type": "admit", "participant_id": "i-1"}, "forbidden"),
        (INTERPRETER, {"type": "admit", "participant_id": "c-ana"}, "forbidden"),
        (CITIZEN, {"type": "end"}, "forbidden"),
        (SUPERVISOR, {"type": "end"}, "forbidden"),
        (AGENT, {"type": "admit", "participant_id": "nobody"}, "unknown_participant"),
        (AGENT, {"type": "admit", "participant_id": "a-joan"}, "already_admitted"),
        (CITIZEN, {"type": "chat", "text": "hello"}, "not_admitted"),
    ],
)
async def test_refused_messages(node: Node, who: dict[str, str], message: dict[str, Any], code: str) -> None:
    await node.join(**AGENT)
    await node.join(**CITIZEN)
    await node.join(**INTERPRETER)
    await node.join(**SUPERVISOR)
    ws = await node.socket(**who)

    await ws.send_json(message)

    error = await receive(ws)
    assert (error["type"], error["code"]) == ("error", code)
    room = node.rooms.get("room-1")
    assert room is not None
    assert not room.ended
    assert room.participant("i-1").state == "waiting"  # type: ignore[union-attr]


async def test_supervisor_may_admit(node: Node) -> None:
    await node.join(**SUPERVISOR)
    await node.join(**INTERPRETER)
    ws = await node.socket(**SUPERVISOR)

    await ws.send_json({"type": "admit", "participant_id": "i-1"})

    assert await receive(ws) == {"type": "admitted", "participant_id": "i-1"}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "invalid_json"),
        ("[1]", "invalid_message"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"text": "no type"}', "unknown_type"),
        ('{"type": "chat", "text": ""}', "invalid_chat"),
        ('{"type": "chat", "text": "   "}', "invalid_chat"),
        ('{"type": "chat", "text": "' + "x" * 1001 + '"}', "invalid_chat"),
        ('{"type": "chat", "text": 5}', "invalid_message"),
        ('{"type": "chat", "text": "hi", "from": "a-joan"}', "invalid_message"),
        ('{"type": "admit"}', "invalid_message"),
        ('{"type": "end", "reason": "x"}', "invalid_message"),
        ('{"type": "audio_only", "on": "yes"}', "invalid_message"),
    ],
)
async def test_malformed_messages_get_an_error_and_the_socket_stays(node: Node, raw: str, code: str) -> None:
    await node.join(**AGENT)
    ws = await node.socket(**AGENT)

    await ws.send_str(raw)

    error = await receive(ws)
    assert (error["type"], error["code"]) == ("error", code)
    assert isinstance(error["detail"], str)
    await ws.send_json({"type": "audio_only", "on": True})
    assert await receive(ws) == {"type": "audio_only", "participant_id": "a-joan", "on": True}


async def test_binary_frames_are_refused(node: Node) -> None:
    ws = await node.socket(**AGENT)

    await ws.send_bytes(b"\x00\x01")

    assert (await receive(ws))["code"] == "invalid_message"


async def test_message_flood_gets_an_error_and_the_socket_is_closed(make_node: NodeFactory) -> None:
    limits = SignallingLimits(
        offers_per_ip=LOOSE_LIMITS.offers_per_ip,
        offers_per_participant=LOOSE_LIMITS.offers_per_participant,
        messages_per_socket=Rate(0.01, 5),
    )
    node = await make_node(limits=limits)
    await node.join(**AGENT)
    ws = await node.socket(**AGENT)

    for _ in range(20):
        await ws.send_json({"type": "chat", "text": "spam"})

    error = await receive_until(ws, "error")
    assert error["code"] == "rate_limited"
    async with asyncio.timeout(2):
        closing = await ws.receive()
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert node.rooms.get("room-1") is not None


# ---- chat, audio only ------------------------------------------------------------------------------------------------


async def _admitted_call(node: Node) -> tuple[Any, Any]:
    await node.join(**AGENT)
    await node.join(**CITIZEN)
    agent_ws = await node.socket(**AGENT)
    citizen_ws = await node.socket(**CITIZEN)
    await agent_ws.send_json({"type": "admit", "participant_id": "c-ana"})
    await receive_until(agent_ws, "admitted")
    await receive_until(citizen_ws, "admitted")
    return agent_ws, citizen_ws


async def test_chat_goes_to_the_others_on_both_paths_and_into_the_transcript(node: Node) -> None:
    agent_ws, citizen_ws = await _admitted_call(node)
    waiting_ws = await node.socket(**INTERPRETER)
    await node.join(**INTERPRETER)
    media = node.media.rooms["room-1"]

    await agent_ws.send_json({"type": "chat", "text": "Bon dia! 👋"})

    chat = await receive_until(citizen_ws, "chat")
    assert {key: chat[key] for key in ("from", "role", "name", "text")} == {
        "from": "a-joan",
        "role": "agent",
        "name": "Joan Agent",
        "text": "Bon dia! 👋",
    }
    assert chat["id"]
    assert chat["at"]
    assert media.sent == [("c-ana", chat)]
    assert media.recorder.transcript == [("a-joan", "Joan Agent", "Bon dia! 👋", chat["at"])]

    # From the data channel: to the others' sockets and channels, never back to the sender, never to one waiting.
    media.message("c-ana", {"type": "chat", "text": "Hola"})
    from_channel = await receive_until(agent_ws, "chat")
    assert (from_channel["from"], from_channel["text"]) == ("c-ana", "Hola")
    assert media.sent[-1] == ("a-joan", from_channel)
    assert len(media.recorder.transcript) == 2
    assert all(recipient != "i-1" for recipient, _ in media.sent)
    await waiting_ws.send_json({"type": "audio_only", "on": True})
    seen = [message["type"] for message in await _drain(waiting_ws)]
    assert "chat" not in seen
    assert seen[-1] == "audio_only"


async def test_bad_data_channel_message_gets_an_error_on_the_channel(node: Node) -> None:
    await node.join(**AGENT)
    media = node.media.rooms["room-1"]

    media.message("a-joan", {"type": "chat", "text": ""})
    await asyncio.sleep(0.05)

    assert media.sent == [("a-joan", {"type": "error", "code": "invalid_chat", "detail": media.sent[0][1]["detail"]})]


async def test_audio_only_is_told_to_the_others_and_to_the_engine(node: Node) -> None:
    agent_ws, citizen_ws = await _admitted_call(node)

    await citizen_ws.send_json({"type": "audio_only", "on": True})

    assert await receive_until(agent_ws, "audio_only") == {"type": "audio_only", "participant_id": "c-ana", "on": True}
    assert node.media.rooms["room-1"].audio_only["c-ana"] is True
    room = node.rooms.get("room-1")
    assert room is not None
    assert room.state_for("a-joan")["participants"][1]["audio_only"] is True


# ---- reconnection, grace, end ----------------------------------------------------------------------------------------


async def test_reconnection_keeps_the_room_and_says_reconnecting_then_joined(node: Node) -> None:
    agent_ws, _ = await _admitted_call(node)
    media = node.media.rooms["room-1"]
    media.state("a-joan", "connected")
    media.state("c-ana", "connected")
    await receive_until(agent_ws, "joined")
    await receive_until(agent_ws, "joined")

    # The phone moves from wifi to 4G: its peer connection fails, it comes back with a fresh token and a new offer.
    media.state("c-ana", "failed")
    assert await receive_until(agent_ws, "reconnecting") == {"type": "reconnecting", "participant_id": "c-ana"}
    assert await node.join(**CITIZEN, jti="fresh") == "c-ana"
    media.state("c-ana", "connected")

    joined = await receive_until(agent_ws, "joined")
    assert (joined["participant_id"], joined["reconnected"]) == ("c-ana", True)
    assert media.connects == ["a-joan", "c-ana", "c-ana"]
    assert media.admitted["c-ana"] is True
    assert node.rooms.room_count == 1
    assert node.events.types().count("reconnecting") == 1


async def test_a_new_offer_while_connected_is_a_reconnection_too(node: Node) -> None:
    agent_ws, _ = await _admitted_call(node)
    media = node.media.rooms["room-1"]
    media.state("c-ana", "connected")
    await receive_until(agent_ws, "joined")

    await node.join(**CITIZEN)

    assert await receive_until(agent_ws, "reconnecting") == {"type": "reconnecting", "participant_id": "c-ana"}
    media.state("c-ana", "connected")
    assert (await receive_until(agent_ws, "joined"))["reconnected"] is True


async def test_grace_expiry_means_left_and_the_last_one_out_ends_the_room(make_node: NodeFactory) -> None:
    node = await make_node(grace_seconds=0.2)
    agent_ws, _ = await _admitted_call(node)
    media = node.media.rooms["room-1"]
    media.state("a-joan", "connected")
    media.state("c-ana", "connected")

    media.state("c-ana", "disconnected")
    await receive_until(agent_ws, "reconnecting")
    assert await receive_until(agent_ws, "left") == {"type": "left", "participant_id": "c-ana"}
    assert media.disconnected == ["c-ana"]
    assert node.rooms.room_count == 1

    media.state("a-joan", "closed")
    await asyncio.sleep(0.4)
    assert node.rooms.room_count == 0
    assert media.closed
    assert media.recorder.finished
    assert node.events.sent[-1] == ("ended", "room-1", "apt-1", {"by": None, "reason": "empty"})
    assert [t for t in node.events.types() if t in ("reconnecting", "left")] == [
        "reconnecting",
        "left",
        "reconnecting",
        "left",
    ]


async def test_a_participant_that_never_connects_leaves_after_the_grace(make_node: NodeFactory) -> None:
    node = await make_node(grace_seconds=0.1)
    await node.join(**AGENT)
    node.media.rooms["room-1"].state("a-joan", "connected")
    await node.join(**CITIZEN)

    await asyncio.sleep(0.3)

    room = node.rooms.get("room-1")
    assert room is not None
    assert [p.id for p in room.participants] == ["a-joan"]


async def test_agent_ends_the_call(node: Node) -> None:
    agent_ws, citizen_ws = await _admitted_call(node)

    await agent_ws.send_json({"type": "end"})

    for ws in (agent_ws, citizen_ws):
        assert await receive_until(ws, "ended") == {"type": "ended", "by": "a-joan", "reason": "ended_by_agent"}
        async with asyncio.timeout(2):
            assert (await ws.receive()).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    media = node.media.rooms["room-1"]
    assert media.closed
    assert media.recorder.finished
    assert node.rooms.room_count == 0
    assert ("ended", "room-1", "apt-1", {"by": "a-joan", "reason": "ended_by_agent"}) in node.events.sent

    # The tokens of that call open neither the room nor its events again.
    assert (await _problem(await node.offer(node.token(**CITIZEN)), 409))["code"] == "room_ended"
    late = await node.client.ws_connect(f"/rooms/room-1/events?token={node.token(**CITIZEN)}")
    assert (await receive(late))["type"] == "ended"


async def test_a_socket_alone_does_not_keep_a_room_forever(make_node: NodeFactory) -> None:
    node = await make_node(grace_seconds=0.1)
    ws = await node.socket(**CITIZEN)
    assert node.rooms.room_count == 1

    assert (await receive_until(ws, "ended"))["reason"] == "empty"
    assert node.rooms.room_count == 0
    assert node.events.sent == []


async def test_health_tells_only_the_status_while_people_are_in_a_call(node: Node) -> None:
    # How many rooms and people a node holds is for operators (/metrics, tests/test_http.py), never the public.
    await node.join(**AGENT)
    await node.join(**CITIZEN)

    assert await (await node.client.get("/health")).json() == {"status": "ok"}


def _request(peer: str, forwarded: str | None = None) -> aiohttp.web.Request:
    from unittest import mock

    from aiohttp.test_utils import make_mocked_request

    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (peer, 443) if name == "peername" else default
    return make_mocked_request("POST", "/rooms/r/offer", headers=headers, transport=transport)


def test_flood_limits_count_the_client_behind_our_own_tls_proxy_only() -> None:
    from videoatencion_media.signalling import client_address

    # Behind the task's TLS sidecar every request comes from loopback: its X-Forwarded-For names the client.
    assert client_address(_request("127.0.0.1", "203.0.113.7"), trust_loopback_proxy=True) == "203.0.113.7"
    assert client_address(_request("127.0.0.1", "198.51.100.1, 203.0.113.7"), True) == "203.0.113.7"
    # Anywhere else the header is the client's to forge: the peer counts.
    assert client_address(_request("203.0.113.9", "10.0.0.1"), trust_loopback_proxy=True) == "203.0.113.9"
    assert client_address(_request("127.0.0.1", "203.0.113.7"), trust_loopback_proxy=False) == "127.0.0.1"
    assert client_address(_request("127.0.0.1"), trust_loopback_proxy=True) == "127.0.0.1"
