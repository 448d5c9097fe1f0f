"""Test doubles and helpers of the media node's tests: the API's token signing and JWKS, a fake API taking webhooks,
a fake media engine, and a node with all of them around it (the fixtures in conftest.py build them)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import ec

from videoatencion_media.engine import InvalidOffer
from videoatencion_media.limits import Rate, SignallingLimits
from videoatencion_media.rooms import MediaBundle, RoomRegistry

Client = TestClient[web.Request, web.Application]

# Enough for the node's own check of an offer; the fake engine answers anything that is not "bad".
OFFER_SDP = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
)


class FakeUploads:
    def __init__(self) -> None:
        self.recovered = 0
        self.drained = False

    def notify(self, _info: object = None) -> None:
        return None

    async def recover(self) -> None:
        self.recovered += 1

    async def run(self) -> None:
        await asyncio.Event().wait()

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109 - the uploader's signature
        self.drained = True


class FakeEvents:
    """Webhooks as a list: (type, room_id, appointment_id, fields)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str, dict[str, Any]]] = []

    def emit(self, event_type: str, room_id: str, appointment_id: str, fields: dict[str, Any]) -> None:
        self.sent.append((event_type, room_id, appointment_id, fields))

    def recover(self) -> int:
        return 0

    async def run(self) -> None:
        await asyncio.Event().wait()

    async def drain(self, within: float) -> bool:
        return True

    def types(self) -> list[str]:
        return [event[0] for event in self.sent]


@dataclass
class Signer:
    """The API's token signing, for tests: an ES256 key with a key id, and the JWKS that publishes it."""

    kid: str = field(default_factory=lambda: f"key-{uuid.uuid4().hex[:8]}")
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def jwk(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.key.public_key()))
        return {**public, "kid": self.kid, "use": "sig", "alg": "ES256"}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": "videoatencion",
            "aud": "videoatencion-media",
            "sub": "c-0001",
            "room": "room-1",
            "role": "citizen",
            "apt": "apt-1",
            "office": "omac",
            "name": "Ana Puig",
            "iat": now,
            "nbf": now,
            "exp": now + 120,
            "jti": uuid.uuid4().hex,
        }
        claims.update(overrides)
        # Each participant signed in on its own unless a test says otherwise.
        claims.setdefault("sid", f"session-of-{claims['sub']}")
        return {key: value for key, value in claims.items() if value is not None}

    def token(self, **overrides: Any) -> str:
        return jwt.encode(self.claims(**overrides), self.key, algorithm="ES256", headers={"kid": self.kid})


class FakeApi:
    """The API as the node sees it: a JWKS and the webhook endpoint (which can be told to fail)."""

    def __init__(self) -> None:
        self.keys: list[Any] = []
        self.jwks_fetches = 0
        self.webhooks: list[tuple[dict[str, str], bytes]] = []
        self.webhook_failures = 0
        self.webhook_status = 204
        # Sessions the API has revoked, and the signed questions the node asked about sessions.
        self.revoked_sessions: set[str] = set()
        self.session_checks: list[tuple[dict[str, str], bytes]] = []
        self.sessions_status = 200
        self.app = web.Application()
        self.app.router.add_get("/.well-known/jwks.json", self._jwks)
        self.app.router.add_post("/media/events", self._webhook)
        self.app.router.add_post("/media/sessions", self._sessions)
        self.server = TestServer(self.app, host="127.0.0.1")

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def _jwks(self, _request: web.Request) -> web.Response:
        self.jwks_fetches += 1
        return web.json_response({"keys": self.keys})

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.webhook_failures > 0:
            self.webhook_failures -= 1
            return web.Response(status=503)
        self.webhooks.append((dict(request.headers), body))
        return web.Response(status=self.webhook_status)

    async def _sessions(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.session_checks.append((dict(request.headers), body))
        if self.sessions_status != 200:
            return web.Response(status=self.sessions_status)
        asked = json.loads(body)["sessions"]
        return web.json_response({"revoked": [s for s in asked if s in self.revoked_sessions]})


class FakeRecorder:
    def __init__(self) -> None:
        self.participants: list[tuple[str, str, str]] = []
        self.notes: list[dict[str, Any]] = []
        self.transcript: list[tuple[str, str, str, str]] = []
        self.finished = False

    def add_participant(self, participant_id: str, role: str, name: str) -> None:
        self.participants.append((participant_id, role, name))

    def note(self, event: dict[str, Any]) -> None:
        self.notes.append(event)

    def chat(self, participant_id: str, name: str, text: str, at: str) -> None:
        self.transcript.append((participant_id, name, text, at))

    def finish(self) -> Path:
        self.finished = True
        return Path("manifest.json")


class FakeMedia:
    """RoomMedia's interface with nothing behind it; a test drives the connection states."""

    def __init__(self, room_id: str, recorder: FakeRecorder) -> None:
        self.room_id = room_id
        self.recorder = recorder
        self.on_connection_state: Callable[[str, str], None] | None = None
        self.on_message: Callable[[str, dict[str, Any]], None] | None = None
        self.connects: list[str] = []
        self.offers: list[str] = []
        self.admitted: dict[str, bool] = {}
        self.audio_only: dict[str, bool] = {}
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.disconnected: list[str] = []
        self.closed = False

    async def connect(self, participant_id: str, offer_sdp: str) -> str:
        await asyncio.sleep(0)
        if "bad" in offer_sdp:
            raise InvalidOffer("the fake engine refuses it")
        self.connects.append(participant_id)
        self.offers.append(offer_sdp)
        return f"v=0\r\ns=answer for {participant_id}\r\n"

    def set_admitted(self, participant_id: str, admitted: bool) -> None:
        self.admitted[participant_id] = admitted

    def set_audio_only(self, participant_id: str, on: bool) -> None:
        self.audio_only[participant_id] = on

    def send(self, participant_id: str, message: dict[str, Any]) -> bool:
        self.sent.append((participant_id, message))
        return True

    async def disconnect(self, participant_id: str) -> None:
        self.disconnected.append(participant_id)

    async def close(self) -> None:
        self.closed = True
        self.recorder.finish()

    def state(self, participant_id: str, state: str) -> None:
        assert self.on_connection_state is not None
        self.on_connection_state(participant_id, state)

    def message(self, participant_id: str, message: dict[str, Any]) -> None:
        assert self.on_message is not None
        self.on_message(participant_id, message)


class FakeMediaFactory:
    records = True

    def __init__(self) -> None:
        self.rooms: dict[str, FakeMedia] = {}

    def create(self, room_id: str, appointment_id: str) -> MediaBundle:
        recorder = FakeRecorder()
        media = self.rooms[room_id] = FakeMedia(room_id, recorder)
        return MediaBundle(media, recorder)


LOOSE_LIMITS = SignallingLimits(
    offers_per_ip=Rate(100.0, 1000),
    offers_per_participant=Rate(100.0, 1000),
    messages_per_socket=Rate(100.0, 1000),
    sockets_per_ip=Rate(100.0, 1000),
)


@dataclass
class Node:
    client: Client
    rooms: RoomRegistry
    media: FakeMediaFactory
    events: FakeEvents
    signer: Signer

    def token(self, **claims: Any) -> str:
        return self.signer.token(**claims)

    async def offer(self, token: str | None, sdp: str = OFFER_SDP, room: str = "room-1") -> Any:
        body: dict[str, Any] = {"sdp": sdp, "type": "offer"}
        if token is not None:
            body["token"] = token
        return await self.client.post(f"/rooms/{room}/offer", json=body)

    async def join(self, room: str = "room-1", **claims: Any) -> str:
        response = await self.offer(self.token(room=room, **claims), room=room)
        assert response.status == 200, await response.text()
        participant_id: str = (await response.json())["participant_id"]
        return participant_id

    async def socket(self, room: str = "room-1", **claims: Any) -> Any:
        ws = await self.client.ws_connect(f"/rooms/{room}/events?token={self.token(room=room, **claims)}")
        state = await receive(ws)
        assert state["type"] == "state", state
        return ws


async def receive(ws: Any, within: float = 2.0) -> dict[str, Any]:
    async with asyncio.timeout(within):
        message: dict[str, Any] = await ws.receive_json()
        return message


async def receive_until(ws: Any, event_type: str, within: float = 2.0) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            message: dict[str, Any] = await ws.receive_json()
            if message["type"] == event_type:
                return message


NodeFactory = Callable[..., Awaitable[Node]]
