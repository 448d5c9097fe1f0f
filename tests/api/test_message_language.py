"""Messages follow the person's language: the one the request names, else its Accept-Language, else Catalan."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from dev.seed import DemoCounts
from tests.api.conftest import STAFF_PASSWORD
from tests.api.test_booking import SERVICE, slots
from tests.api.test_identity import ADDRESS, body, citizen_token


def _post(client: Client, path: str, payload: dict[str, Any], **headers: str) -> Any:
    return client.http.post(path, body=json.dumps(payload), headers={"Content-Type": "application/json", **headers})


def _outbox(client: Client, to: str) -> list[dict[str, Any]]:
    return list(body(client.http.get(f"/dev/outbox?to={to}"))["items"])


@pytest.mark.parametrize(
    ("header", "starts"),
    [
        ("es-ES,es;q=0.9,en;q=0.8", "Su código es "),
        ("fr-FR, en;q=0.5, es;q=0.4", "Your code is "),
        ("de-DE", "El vostre codi és "),
        (None, "El vostre codi és "),
    ],
)
def test_a_code_follows_the_browser_language_when_the_request_names_none(
    client: Client, demo: DemoCounts, header: str | None, starts: str
) -> None:
    headers = {"Accept-Language": header} if header else {}
    sent = _post(client, "/auth/otp", {"id_number": "12345678Z", "channel": "email", "destination": ADDRESS}, **headers)

    assert sent.status_code == 202, sent.body
    assert _outbox(client, ADDRESS)[0]["body"].startswith(starts)


def test_the_language_named_in_the_request_wins_over_the_header(client: Client, demo: DemoCounts) -> None:
    payload = {"id_number": "12345678Z", "channel": "email", "destination": ADDRESS, "language": "en"}
    _post(client, "/auth/otp", payload, **{"Accept-Language": "es"})

    assert _outbox(client, ADDRESS)[0]["subject"] == "Your Videoatención code"


def test_a_booking_without_a_language_confirms_in_the_browser_language(client: Client, demo: DemoCounts) -> None:
    token = citizen_token(client)
    start = slots(client)[0]["start"]
    payload = {"service_id": SERVICE, "start": start, "contact": {"email": "rosa@example.org"}}

    booked = _post(client, "/appointments", payload, Authorization=f"Bearer {token}", **{"Accept-Language": "es"})

    assert booked.status_code == 201, booked.body
    assert body(booked)["language"] == "es"
    confirmation = _outbox(client, "rosa@example.org")[0]
    assert confirmation["subject"].startswith("Cita confirmada")
    assert "Tiene una cita" in confirmation["body"]


def test_a_staff_code_follows_the_browser_language(client: Client, demo: DemoCounts) -> None:
    _post(
        client,
        "/auth/staff/login",
        {"username": "agent.omac", "password": STAFF_PASSWORD},
        **{"Accept-Language": "en-GB"},
    )

    assert _outbox(client, "agent.omac@vilademo.example")[0]["subject"] == "Staff sign-in code"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("es", "indique un correo electrónico o un teléfono para la confirmación"),
        ("en-GB,en;q=0.9", "give an email address or a phone number for the confirmation"),
        ("ca", "indiqueu una adreça electrònica o un telèfon per a la confirmació"),
        (None, "indiqueu una adreça electrònica o un telèfon per a la confirmació"),
    ],
)
def test_a_field_error_says_the_same_field_and_code_in_the_request_language(
    client: Client, demo: DemoCounts, header: str | None, message: str
) -> None:
    token = citizen_token(client)
    headers = {"Authorization": f"Bearer {token}", **({"Accept-Language": header} if header else {})}
    refused = _post(client, "/appointments", {"service_id": SERVICE, "start": slots(client)[0]["start"]}, **headers)

    assert refused.status_code == 422, refused.body
    assert {"field": "contact", "code": "contact_needed", "message": message} in body(refused)["errors"]
