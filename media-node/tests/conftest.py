"""Fixtures: a node app served on 127.0.0.1 by aiohttp's test server, with a fast loop-lag monitor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from videoatencion_media.app import create_app
from videoatencion_media.config import MediaConfig
from videoatencion_media.metrics import LoopLagMonitor
from videoatencion_media.rooms import RoomRegistry


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
    app = create_app(config, rooms=rooms, loop_lag=loop_lag)
    async with TestClient(TestServer(app)) as client:
        yield client
