"""The node's HTTP surface as the API, the SPA and ECS see it."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from node_fakes import FakeUploads

from videoatencion_media.app import create_app
from videoatencion_media.config import MediaConfig
from videoatencion_media.rooms import Identity, Role, RoomRegistry

Client = TestClient[web.Request, web.Application]

PROBLEM_FIELDS = {"type", "title", "status", "detail", "code"}
METRICS_TOKEN = "operator-metrics-token-0123456789"  # noqa: S105 - a test's
AS_OPERATOR = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture
def config(tmp_path: Path, spa_origin: str) -> MediaConfig:
    return MediaConfig.from_env(
        {
            "MEDIA_RECORDINGS_DIR": str(tmp_path / "recordings"),
            "MEDIA_ALLOWED_ORIGINS": spa_origin,
            "MEDIA_METRICS_TOKEN": METRICS_TOKEN,
        }
    )


async def test_public_health_says_only_the_status_not_the_load(client: Client, rooms: RoomRegistry) -> None:
    first = rooms.open("room-1", "apt-1")
    first.add(Identity("p-citizen", Role.CITIZEN, "Ana"))
    first.add(Identity("p-agent", Role.AGENT, "Joan"))

    response = await client.get("/health")

    assert response.status == 200
    assert await response.json() == {"status": "ok"}
    metrics = await (await client.get("/metrics", headers=AS_OPERATOR)).json()
    assert (metrics["rooms"], metrics["participants"]) == (1, 2)


async def test_metrics_report_load_figures(client: Client, rooms: RoomRegistry) -> None:
    rooms.open("room-1", "apt-1").add(Identity("p-agent", Role.AGENT, "Joan"))

    response = await client.get("/metrics", headers=AS_OPERATOR)

    assert response.status == 200
    body = await response.json()
    assert (body["rooms"], body["participants"]) == (1, 1)
    assert body["cpu_seconds"] > 0
    assert body["max_rss_bytes"] > 0
    assert body["uptime_seconds"] >= 0
    assert set(body["loop_lag_ms"]) >= {"last", "max"}


async def test_metrics_as_prometheus_text_for_scrapers(client: Client) -> None:
    response = await client.get(
        "/metrics", headers={"Accept": "text/plain;version=0.0.4;q=0.5,*/*;q=0.1", **AS_OPERATOR}
    )

    assert response.content_type == "text/plain"
    text = await response.text()
    assert "\nvideoatencion_media_rooms 0\n" in text
    assert "# TYPE process_cpu_seconds_total counter" in text


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-of-the-same-length-xx", f"Basic {METRICS_TOKEN}"])
async def test_metrics_are_refused_without_the_operator_token(client: Client, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = await client.get("/metrics", headers=headers)

    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "rooms" not in await response.text()


async def test_a_node_without_a_metrics_token_has_no_metrics(tmp_path: Path) -> None:
    config = MediaConfig.from_env({"MEDIA_RECORDINGS_DIR": str(tmp_path / "recordings")})
    async with TestClient(TestServer(create_app(config, uploads=FakeUploads()))) as client:
        response = await client.get("/metrics", headers={"Authorization": "Bearer "})

        assert response.status == 404
        assert (await client.get("/health")).status == 200


def test_a_short_metrics_token_stops_the_node_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="MEDIA_METRICS_TOKEN"):
        MediaConfig.from_env({"MEDIA_RECORDINGS_DIR": str(tmp_path), "MEDIA_METRICS_TOKEN": "short"})


async def test_unknown_route_is_a_problem_document(client: Client) -> None:
    response = await client.get("/rooms/nowhere")

    assert response.status == 404
    assert response.content_type == "application/problem+json"
    body = await response.json(content_type=None)
    assert set(body) == PROBLEM_FIELDS
    assert (body["status"], body["code"]) == (404, "not_found")


async def test_wrong_method_is_a_problem_document_naming_the_allowed_ones(client: Client) -> None:
    response = await client.post("/health")

    assert response.status == 405
    assert response.content_type == "application/problem+json"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD"}
    body = await response.json(content_type=None)
    assert set(body) == PROBLEM_FIELDS
    assert (body["status"], body["code"]) == (405, "method_not_allowed")


@pytest.mark.parametrize("path", ["/health", "/missing"])
async def test_allowed_origin_gets_a_cors_grant(client: Client, spa_origin: str, path: str) -> None:
    response = await client.get(path, headers={"Origin": spa_origin})

    assert response.headers["Access-Control-Allow-Origin"] == spa_origin
    assert "Origin" in response.headers.getall("Vary")


async def test_other_origin_gets_no_cors_grant(client: Client) -> None:
    response = await client.get("/health", headers={"Origin": "https://evil.example"})

    assert response.status == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers.getall("Vary")


async def test_preflight_from_allowed_origin(client: Client, spa_origin: str) -> None:
    response = await client.options(
        "/rooms/r1/offer",
        headers={
            "Origin": spa_origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )

    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == spa_origin
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


async def test_preflight_from_other_origin_is_refused(client: Client) -> None:
    response = await client.options(
        "/rooms/r1/offer",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )

    assert response.status == 403
    assert response.content_type == "application/problem+json"
    assert "Access-Control-Allow-Origin" not in response.headers
