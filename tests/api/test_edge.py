"""What the API does before a view runs, and when AWS cannot be reached: only CloudFront may call it, bodies are
bounded, rate limits count the viewer address CloudFront wrote, and an unreachable dependency is a 503."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import bootstrap
from dev.seed import DemoCounts
from tests.api.conftest import STAFF_PASSWORD
from tests.api.test_identity import ADDRESS, body

SECRET = "videoatencion/test/origin-verify"
FIRST = "first-origin-value-0123456789"


@pytest.fixture
def behind_cloudfront(client: Client, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The API as production runs it: the origin secret configured (moto's Secrets Manager holds it)."""
    secrets = boto3.client("secretsmanager", region_name=os.environ["AWS_REGION"])
    secrets.create_secret(Name=SECRET, SecretString=FIRST)
    monkeypatch.setenv("ORIGIN_SECRET_ID", SECRET)
    bootstrap.reset()
    yield secrets
    bootstrap.reset()


def via_cloudfront(viewer: str = "198.51.100.7", secret: str = FIRST) -> dict[str, str]:
    """Headers as CloudFront sends them: the origin secret and the viewer's address its function wrote."""
    return {"Content-Type": "application/json", "X-Origin-Verify": secret, "X-Viewer-Ip": viewer}


def emailed_code(client: Client, to: str) -> str:
    items = body(client.http.get(f"/dev/outbox?to={to}", headers=via_cloudfront()))["items"]
    return str(re.findall(r"\b\d{6}\b", items[0]["body"])[0])


def login(client: Client, headers: dict[str, str], password: str, otp: str | None = None) -> Any:
    payload = {"username": "agent.omac", "password": password, **({"otp": otp} if otp else {})}
    return client.http.post("/auth/staff/login", body=json.dumps(payload), headers=headers)


# --- only through CloudFront -----------------------------------------------------------------------------------


def test_a_request_straight_to_api_gateway_is_refused(behind_cloudfront: Any, client: Client) -> None:
    headers = via_cloudfront()
    assert client.http.get("/services", headers=headers).status_code == 200

    missing = client.http.get("/services")
    wrong = client.http.get("/services", headers={**headers, "X-Origin-Verify": "guess"})

    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert body(missing)["code"] == "forbidden"


def test_media_nodes_reach_their_signed_routes_and_the_keys_directly(behind_cloudfront: Any, client: Client) -> None:
    # The nodes call API Gateway, not CloudFront: their routes check the node's signature instead of the origin header.
    assert client.http.get("/.well-known/jwks.json").status_code == 200
    unsigned = client.http.post("/media/events", headers={"Content-Type": "application/json"}, body="{}")
    assert unsigned.status_code == 401
    assert client.http.get("/me/access-log").status_code == 403  # everything else still needs CloudFront


def test_in_dev_there_is_no_cloudfront_and_no_check(client: Client, demo: DemoCounts) -> None:
    assert client.http.get("/services").status_code == 200


def test_rate_limits_count_the_viewer_address_cloudfront_wrote(
    behind_cloudfront: Any, client: Client, demo: DemoCounts
) -> None:
    # GIVEN a stranger at another address who spends every guess they have at the agent's password
    stranger = via_cloudfront("203.0.113.66")
    guesses = [login(client, stranger, f"guess-{i}").status_code for i in range(7)]
    assert guesses[:5] == [401] * 5
    assert guesses[5:] == [429, 429]  # capped

    # WHEN the agent signs in from the office's address with the right password and the emailed code
    office = via_cloudfront("198.51.100.7")
    first = login(client, office, STAFF_PASSWORD)
    assert body(first)["code"] == "otp_required"
    second = login(client, office, STAFF_PASSWORD, emailed_code(client, "agent.omac@vilademo.example"))

    # THEN they are in
    assert second.status_code == 200, second.body
    assert body(second)["access_token"]


def test_a_forged_forwarding_header_does_not_change_the_address_counted(
    behind_cloudfront: Any, client: Client, demo: DemoCounts
) -> None:
    stranger = via_cloudfront("203.0.113.66")
    answers = [login(client, {**stranger, "X-Forwarded-For": f"192.0.2.{i}"}, "guess").status_code for i in range(6)]

    assert answers[-1] == 429


# --- bounded bodies --------------------------------------------------------------------------------------------


def test_a_body_over_64_kb_is_413_before_it_is_read(client: Client, demo: DemoCounts) -> None:
    big = json.dumps({"id_number": "12345678Z", "channel": "email", "destination": ADDRESS, "pad": "x" * 70_000})

    response = client.http.post("/auth/otp", body=big, headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert body(response)["code"] == "payload_too_large"
    assert body(client.http.get(f"/dev/outbox?to={ADDRESS}"))["items"] == []


def test_the_attachment_route_takes_a_4_mb_file_but_not_more_than_6_mb(client: Client, demo: DemoCounts) -> None:
    path = "/appointments/00000000-0000-4000-8000-000000000000/attachments"
    headers = {"Content-Type": "application/json"}
    # 4 MB base64-encoded is about 5.4 MB: past the size check (then refused for want of a token)
    allowed = client.http.post(path, body=json.dumps({"content": "A" * 5_600_000}), headers=headers)
    too_big = client.http.post(path, body=json.dumps({"content": "A" * 6_400_000}), headers=headers)

    assert allowed.status_code == 401
    assert too_big.status_code == 413


# --- dependencies that cannot be reached -----------------------------------------------------------------------


def test_an_unreachable_database_is_503_with_retry_after(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN every AWS endpoint refusing connections (nothing listens on port 9)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    bootstrap.reset()

    response = client.http.get("/services")

    assert response.status_code == 503
    assert body(response)["code"] == "service_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert "try again" in body(response)["detail"]
