"""A whole call through the node with the real engine: two aiortc clients, tokens, offers over HTTP, the events
WebSocket, admission, media both ways, chat over the data channel, the end, and the recording reported."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from node_fakes import LOOSE_LIMITS, FakeEvents, Signer, receive_until
from peers import Client, wait_for

from videoatencion_media.app import create_app
from videoatencion_media.auth import TokenVerifier
from videoatencion_media.config import MediaConfig

HttpClient = TestClient[web.Request, web.Application]


@pytest.fixture
async def http(tmp_path: Path, verifier: TokenVerifier, events: FakeEvents) -> AsyncIterator[HttpClient]:
    config = MediaConfig.from_env(
        {"MEDIA_RECORDINGS_DIR": str(tmp_path / "recordings"), "MEDIA_WORKERS": "1", "MEDIA_SEGMENT_SECONDS": "5"}
    )
    app = create_app(config, verifier=verifier, webhooks=events, limits=LOOSE_LIMITS)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


@pytest.fixture
def events() -> FakeEvents:
    return FakeEvents()


async def _connect(http: HttpClient, client: Client, token: str) -> str:
    response = await http.post(
        "/rooms/room-1/offer", json={"sdp": await client.offer(), "type": "offer", "token": token}
    )
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    await client.accept(body["sdp"])
    return str(body["participant_id"])


@pytest.mark.integration
async def test_citizen_waits_agent_admits_media_and_chat_flow_and_the_recording_is_reported(
    http: HttpClient, signer: Signer, events: FakeEvents
) -> None:
    agent_token = signer.token(sub="a-joan", role="agent", name="Joan")
    citizen_token = signer.token(sub="c-ana", role="citizen", name="Ana")
    agent, citizen = Client(), Client()
    try:
        agent_ws = await http.ws_connect(f"/rooms/room-1/events?token={agent_token}")
        await _connect(http, agent, agent_token)
        await _connect(http, citizen, citizen_token)
        assert (await receive_until(agent_ws, "waiting"))["participant_id"] == "c-ana"

        # Waiting: nothing of the citizen reaches the agent.
        await receive_until(agent_ws, "joined", within=10)
        await asyncio.sleep(0.5)
        assert agent.received["video"].frames == 0

        await agent_ws.send_json({"type": "admit", "participant_id": "c-ana"})
        await receive_until(agent_ws, "admitted")
        await wait_for(lambda: agent.received["video"].frames > 5 and citizen.received["video"].frames > 5)
        assert agent.received["audio"].frames > 0
        assert citizen.received["audio"].frames > 0

        await wait_for(lambda: citizen.channel.readyState == "open" and agent.channel.readyState == "open")
        citizen.channel.send('{"type": "chat", "text": "Bon dia"}')
        await wait_for(lambda: any(m.get("type") == "chat" for m in agent.messages))
        chat = next(m for m in agent.messages if m.get("type") == "chat")
        assert (chat["from"], chat["name"], chat["text"]) == ("c-ana", "Ana", "Bon dia")
        assert (await receive_until(agent_ws, "chat"))["text"] == "Bon dia"

        await agent_ws.send_json({"type": "end"})
        assert (await receive_until(agent_ws, "ended"))["reason"] == "ended_by_agent"
        await wait_for(lambda: "recording_complete" in events.types(), timeout=15)
    finally:
        await agent.close()
        await citizen.close()

    citizen_events = [kind for kind, _, _, fields in events.sent if fields.get("participant_id") == "c-ana"]
    # Its media connects while it waits ("joined"); what it sends flows only once admitted.
    assert citizen_events[0] == "waiting"
    assert {"joined", "admitted"} <= set(citizen_events)
    assert events.types()[-2:] == ["ended", "recording_complete"]
    recording = next(fields for kind, _, _, fields in events.sent if kind == "recording_complete")["recording"]
    assert recording["status"] == "complete"
    assert recording["segments"] >= 2
    assert recording["bucket"] is None


@pytest.mark.integration
async def test_a_cut_connection_comes_back_with_a_new_offer_and_the_call_goes_on(
    http: HttpClient, signer: Signer, events: FakeEvents
) -> None:
    agent_token = signer.token(sub="a-joan", role="agent", name="Joan")
    agent, citizen = Client(), Client()
    replacement = Client()
    try:
        agent_ws = await http.ws_connect(f"/rooms/room-1/events?token={agent_token}")
        await _connect(http, agent, agent_token)
        await _connect(http, citizen, signer.token(sub="c-ana", role="citizen", name="Ana"))
        await agent_ws.send_json({"type": "admit", "participant_id": "c-ana"})
        await wait_for(lambda: agent.received["video"].frames > 5)

        # The citizen's network goes: its peer connection is gone; it comes back with a fresh token and a new one.
        await citizen.close()
        before = agent.received["video"].frames
        await _connect(http, replacement, signer.token(sub="c-ana", role="citizen", name="Ana", jti="second"))

        joined = await receive_until(agent_ws, "joined", within=10)
        while joined["participant_id"] != "c-ana" or not joined["reconnected"]:
            joined = await receive_until(agent_ws, "joined", within=10)
        await wait_for(lambda: agent.received["video"].frames > before + 5 and replacement.received["video"].frames > 5)
    finally:
        await agent.close()
        await citizen.close()
        await replacement.close()

    assert "ended" not in events.types()
    assert events.types().count("waiting") == 1
