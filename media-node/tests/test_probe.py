"""The connection check a browser runs against the node: a quick answer, a sized download, a bounded upload."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from videoatencion_media.app import create_app
from videoatencion_media.config import MediaConfig
from videoatencion_media.limits import Rate
from videoatencion_media.probe import MAX_PROBE_BYTES, add_probe_routes

Client = TestClient[web.Request, web.Application]


@pytest.fixture
def config(tmp_path: Path, spa_origin: str) -> MediaConfig:
    return MediaConfig.from_env(
        {
            "MEDIA_RECORDINGS_DIR": str(tmp_path / "recordings"),
            "MEDIA_ALLOWED_ORIGINS": spa_origin,
            "MEDIA_STUN_URLS": "stun:stun.example.org:3478",
            "MEDIA_NODE_ID": "node-a",
        }
    )


async def test_the_probe_announces_the_node_and_its_stun_servers_to_the_spa(client: Client, spa_origin: str) -> None:
    response = await client.get("/probe", headers={"Origin": spa_origin})

    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == spa_origin
    assert response.headers["Cache-Control"] == "no-store"
    assert await response.json() == {
        "node_id": "node-a",
        "stun_urls": ["stun:stun.example.org:3478"],
        "max_bytes": MAX_PROBE_BYTES,
    }


async def test_a_download_sends_exactly_the_bytes_asked_for(client: Client) -> None:
    response = await client.get("/probe/download?bytes=250000")

    assert response.status == 200
    data = await response.read()
    assert len(data) == 250_000
    assert len(set(data[:4096])) > 200  # random: nothing on the way can compress it into a faster figure


@pytest.mark.parametrize("asked", ["0", str(MAX_PROBE_BYTES + 1), "-5", "lots", ""])
async def test_a_download_outside_the_bounds_is_refused(client: Client, asked: str) -> None:
    response = await client.get(f"/probe/download?bytes={asked}")

    assert response.status == 422
    assert (await response.json())["code"] == "validation_error"


async def test_an_upload_is_counted_and_a_cross_origin_post_is_allowed(client: Client, spa_origin: str) -> None:
    preflight = await client.options(
        "/probe/upload",
        headers={"Origin": spa_origin, "Access-Control-Request-Method": "POST"},
    )
    response = await client.post(
        "/probe/upload",
        data=b"x" * 200_000,
        headers={"Origin": spa_origin, "Content-Type": "application/octet-stream"},
    )

    assert preflight.status == 204
    assert response.status == 200
    assert await response.json() == {"bytes": 200_000}
    assert response.headers["Access-Control-Allow-Origin"] == spa_origin


async def test_an_upload_over_the_bound_is_refused(client: Client) -> None:
    declared = await client.post("/probe/upload", data=b"x" * (MAX_PROBE_BYTES + 1))

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(MAX_PROBE_BYTES // 65536 + 2):
            yield b"y" * 65536

    streamed = await client.post("/probe/upload", data=chunks())

    assert declared.status == 413
    assert streamed.status == 413


async def test_each_address_has_a_small_budget_of_measurements(config: MediaConfig) -> None:
    app = web.Application()
    add_probe_routes(app, config, Rate(rate=0.001, burst=3))
    async with TestClient(TestServer(app)) as client:
        answers = [(await client.get("/probe")).status for _ in range(4)]
        refused = await client.get("/probe/download?bytes=10")

    assert answers == [200, 200, 200, 429]
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) > 0


def test_the_node_app_serves_the_probe(config: MediaConfig) -> None:
    app = create_app(config)
    paths = {route.resource.canonical for route in app.router.routes() if route.resource is not None}
    assert {"/probe", "/probe/download", "/probe/upload"} <= paths
