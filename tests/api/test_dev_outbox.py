"""GET /dev/outbox: what the service sent, for people trying it locally — and nowhere but the dev stage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from chalice.test import Client

from dev.seed import DemoCounts

ROOT = Path(__file__).resolve().parents[2]
JSON = {"Content-Type": "application/json"}


def _code(client: Client, to: str, channel: str = "email") -> None:
    payload = {"id_number": "12345678Z", "channel": channel, "destination": to}
    assert client.http.post("/auth/otp", body=json.dumps(payload), headers=JSON).status_code == 202


def test_lists_messages_newest_first_and_filters_by_destination(client: Client, demo: DemoCounts) -> None:
    _code(client, "first@example.org")
    _code(client, "+34600000009", "sms")
    _code(client, "first@example.org")

    everything = json.loads(client.http.get("/dev/outbox").body)["items"]
    mine = json.loads(client.http.get("/dev/outbox?to=first@example.org").body)["items"]

    assert [m["to"] for m in everything] == ["first@example.org", "+34600000009", "first@example.org"]
    assert len(mine) == 2
    assert mine[0]["sent_at"] > mine[1]["sent_at"]
    assert all(m["subject"] for m in mine)
    assert everything[1]["subject"] is None


@pytest.mark.parametrize("stage", ["prod", "staging"])
def test_the_route_does_not_exist_outside_dev(stage: str) -> None:
    probe = "from app import app; print(sorted(app.routes))"
    env = {**os.environ, "STAGE": stage}
    routes = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout

    assert "/services" in routes
    assert "/dev/outbox" not in routes


def test_the_view_refuses_outside_dev_even_if_registered(client: Client, demo: DemoCounts) -> None:
    from chalicelib import bootstrap
    from chalicelib.bootstrap import get_container

    client.http.get("/services")  # builds the container inside the stage's environment
    container = get_container()
    container.settings = type(container.settings)(**{**container.settings.__dict__, "stage": "prod"})
    try:
        response = client.http.get("/dev/outbox")
    finally:
        bootstrap.reset()

    assert response.status_code == 404
