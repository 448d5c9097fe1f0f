"""SIGTERM on a real node process with a call in progress: it drains instead of dropping the call.

/health answers 503 "draining", an offer for a new room gets 503, the room in progress goes on until the drain timeout
and is then ended ("node_shutdown"), the API hears of it, and the process exits 0.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from dev.processes import free_port
from node_fakes import OFFER_SDP, FakeApi, Signer

SECRET = "drain-test-secret"  # noqa: S105 - a test secret


async def _health(session: aiohttp.ClientSession, base: str) -> tuple[int, dict[str, object]]:
    async with session.get(f"{base}/health") as response:
        body: dict[str, object] = await response.json()
        return response.status, body


@pytest.mark.integration
async def test_sigterm_drains_calls_then_exits_zero(tmp_path: Path, api: FakeApi, signer: Signer) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEDIA_")}
    env.update(
        MEDIA_HOST="127.0.0.1",
        MEDIA_PORT=str(port),
        MEDIA_WORKERS="1",
        MEDIA_RECORDINGS_DIR=str(tmp_path / "recordings"),
        MEDIA_API_URL=api.url,
        MEDIA_WEBHOOK_SECRET=SECRET,
        MEDIA_NODE_ID="drain-node",
        MEDIA_DRAIN_SECONDS="1.5",
    )
    node = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "videoatencion_media",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiohttp.ClientSession() as session:
            async with asyncio.timeout(10):
                while True:
                    try:
                        status, _ = await _health(session, base)
                        break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.05)
            assert status == 200

            # A call in progress: the agent is in the room and has its events socket open.
            agent = signer.token(sub="a-joan", role="agent", name="Joan")
            peer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            peer.addTransceiver("audio")
            peer.addTransceiver("video")
            peer.createDataChannel("chat")
            await peer.setLocalDescription(await peer.createOffer())
            assert peer.localDescription is not None
            offer = {"sdp": peer.localDescription.sdp, "type": "offer", "token": agent}
            async with session.post(f"{base}/rooms/room-1/offer", json=offer) as response:
                assert response.status == 200, await response.text()
            await peer.close()
            ws = await session.ws_connect(f"{base}/rooms/room-1/events?token={agent}")
            assert (await ws.receive_json())["type"] == "state"

            node.send_signal(signal.SIGTERM)
            async with asyncio.timeout(5):
                while (await _health(session, base))[0] != 503:  # noqa: ASYNC110 - polling another process
                    await asyncio.sleep(0.05)
            status, body = await _health(session, base)
            assert (status, body) == (503, {"status": "draining"})

            citizen_elsewhere = signer.token(room="room-2", apt="apt-2")
            async with session.post(
                f"{base}/rooms/room-2/offer", json={"sdp": OFFER_SDP, "type": "offer", "token": citizen_elsewhere}
            ) as response:
                assert response.status == 503
                assert response.headers["Retry-After"]
                assert (await response.json(content_type=None))["code"] == "node_draining"

            # The call goes on until the drain timeout, then the node ends it.
            async with asyncio.timeout(10):
                ended = await ws.receive_json()
            assert ended == {"type": "ended", "by": None, "reason": "node_shutdown"}
            await ws.close()

        async with asyncio.timeout(15):
            stdout, stderr = await node.communicate()
    finally:
        if node.returncode is None:
            node.kill()
            await node.wait()

    assert node.returncode == 0, stderr.decode()
    # The API heard of the call, its end and its recording (kept on disk: no bucket configured).
    events = [json.loads(body) for _, body in api.webhooks]
    assert [event["type"] for event in events] == ["admitted", "ended", "recording_complete"]
    assert events[1]["reason"] == "node_shutdown"
    assert events[2]["recording"]["status"] == "complete"
    assert {headers["X-Media-Node"] for headers, _ in api.webhooks} == {"drain-node"}
    messages = [json.loads(line)["message"] for line in stdout.decode().splitlines()]
    assert messages.index("media node draining") < messages.index("media node stopped")
    assert messages[-1] == "media node stopped"
