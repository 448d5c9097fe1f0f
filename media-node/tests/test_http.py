"""The node's HTTP surface as the API, the SPA and ECS see it."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from videoatencion_media.rooms import Identity, Role, RoomRegistry

Client = TestClient[web.Request, web.Application]

PROBLEM_FIELDS = {"type", "title", "status", "detail", "code"}


async def test_health_reports_rooms_and_participants(client: Client, rooms: RoomRegistry) -> None:
    first = rooms.open("room-1", "apt-1")
    first.add(Identity("p-citizen", Role.CITIZEN, "Ana"))
    first.add(Identity("p-agent", Role.AGENT, "Joan"))
    rooms.open("room-2", "apt-2").add(Identity("p-citizen-2", Role.CITIZEN, "Pau"))

    response = await client.get("/health")

    assert response.status == 200
    assert await response.json() == {"status": "ok", "rooms": 2, "participants": 3}


async def test_health_of_an_idle_node(client: Client) -> None:
    response = await client.get("/health")

    assert await response.json() == {"status": "ok", "rooms": 0, "participants": 0}


async def test_metrics_report_load_figures(client: Client, rooms: RoomRegistry) -> None:
    rooms.open("room-1", "apt-1").add(Identity("p-agent", Role.AGENT, "Joan"))

    response = await client.get("/metrics")

    assert response.status == 200
    body = await response.json()
    assert (body["rooms"], body["participants"]) == (1, 1)
    assert body["cpu_seconds"] > 0
    assert body["max_rss_bytes"] > 0
    assert body["uptime_seconds"] >= 0
    assert set(body["loop_lag_ms"]) >= {"last", "max"}


async def test_metrics_as_prometheus_text_for_scrapers(client: Client) -> None:
    response = await client.get("/metrics", headers={"Accept": "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"})

    assert response.content_type == "text/plain"
    text = await response.text()
    assert "\nvideoatencion_media_rooms 0\n" in text
    assert "# TYPE process_cpu_seconds_total counter" in text


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
