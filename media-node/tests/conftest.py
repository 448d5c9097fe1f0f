"""Fixtures: a node app served on 127.0.0.1 by aiohttp's test server, with a fast loop-lag monitor; a fake API that
publishes a JWKS with its own ES256 key and takes webhooks; a node whose media engine is a fake (node_fakes.py).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

# The test helper modules (node_fakes) sit beside this file; importlib mode does not put it on sys.path.
sys.path.insert(0, str(Path(__file__).parent))

from node_fakes import (
    LOOSE_LIMITS,
    FakeApi,
    FakeEvents,
    FakeMediaFactory,
    FakeUploads,
    Node,
    NodeFactory,
    Signer,
)

from videoatencion_media.app import create_app
from videoatencion_media.auth import JwksClient, TokenVerifier
from videoatencion_media.config import MediaConfig
from videoatencion_media.limits import SignallingLimits
from videoatencion_media.metrics import LoopLagMonitor
from videoatencion_media.rooms import RoomRegistry
from videoatencion_media.sessions import SessionWatch


@pytest.fixture
def spa_origin() -> str:
    return "http://127.0.0.1:8080"


@pytest.fixture
def config(tmp_path: Path, spa_origin: str) -> MediaConfig:
    return MediaConfig.from_env(
        {"MEDIA_RECORDINGS_DIR": str(tmp_path / "recordings"), "MEDIA_ALLOWED_ORIGINS": spa_origin}
    )


@pytest.fixture
def rooms() -> RoomRegistry:
    return RoomRegistry()


@pytest.fixture
def loop_lag() -> LoopLagMonitor:
    # Samples every 10 ms so a test sees several within a fraction of a second.
    return LoopLagMonitor(interval=0.01, window=1.0)


@pytest.fixture
async def client(
    config: MediaConfig, rooms: RoomRegistry, loop_lag: LoopLagMonitor
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = create_app(config, rooms=rooms, loop_lag=loop_lag, uploads=FakeUploads())
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
def signer() -> Signer:
    return Signer()


@pytest.fixture
async def api(signer: Signer) -> AsyncIterator[FakeApi]:
    fake = FakeApi()
    fake.keys.append(signer.jwk())
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.fixture
async def verifier(api: FakeApi) -> AsyncIterator[TokenVerifier]:
    jwks = JwksClient(f"{api.url}/.well-known/jwks.json")
    yield TokenVerifier(jwks, issuer="videoatencion")
    await jwks.close()


@pytest.fixture
async def make_node(
    config: MediaConfig, verifier: TokenVerifier, signer: Signer, loop_lag: LoopLagMonitor
) -> AsyncIterator[NodeFactory]:
    clients: list[TestClient[web.Request, web.Application]] = []

    async def make(
        *,
        max_rooms: int = 20,
        grace_seconds: float = 60.0,
        limits: SignallingLimits = LOOSE_LIMITS,
        sessions: Callable[[RoomRegistry], SessionWatch] | None = None,
    ) -> Node:
        media = FakeMediaFactory()
        events = FakeEvents()
        rooms = RoomRegistry(media, events, max_rooms=max_rooms, grace_seconds=grace_seconds)
        app = create_app(
            config,
            rooms=rooms,
            loop_lag=loop_lag,
            verifier=verifier,
            limits=limits,
            webhooks=events,
            uploads=FakeUploads(),
            sessions=None if sessions is None else sessions(rooms),
        )
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return Node(client, rooms, media, events, signer)

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def node(make_node: NodeFactory) -> Node:
    return await make_node()
