"""GET /services: the public catalogue, as the SPA and integrators read it."""

from __future__ import annotations

import json

from chalice.test import Client

from chalicelib.bootstrap import get_container
from chalicelib.domain.procedures import REGISTRY
from chalicelib.domain.retention import CONFIG, RetentionRules
from dev.seed import DemoCounts


def test_catalogue_lists_every_demo_service_in_three_languages(client: Client, demo: DemoCounts) -> None:
    response = client.http.get("/services")

    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["next"] is None
    assert len(body["items"]) == demo.services >= 6
    ids = {s["id"] for s in body["items"]}
    assert {"residence-certificate", "payment-letter", "direct-debit", "instalment-plan"} <= ids
    for service in body["items"]:
        assert service["office"] in ("OMAC", "OGAT")
        assert all(service["name"][lang] and service["description"][lang] for lang in ("ca", "es", "en"))
        assert service["duration_minutes"] > 0
        assert service["min_assurance"] in ("low", "substantial", "high")
        assert isinstance(service["required_documents"], list)
        # how far ahead it may be booked: the waitlist's form bounds its days by it
        assert 1 <= service["horizon_days"] <= 366


def test_catalogue_filters_by_office(client: Client, demo: DemoCounts) -> None:
    body = json.loads(client.http.get("/services?office=OGAT").body)

    assert body["items"]
    assert {s["office"] for s in body["items"]} == {"OGAT"}


def test_unknown_office_is_a_validation_problem(client: Client, demo: DemoCounts) -> None:
    response = client.http.get("/services?office=XYZ")

    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = json.loads(response.body)
    assert problem["code"] == "validation_error"
    assert problem["errors"][0]["field"] == "office"


def test_one_service_and_an_unknown_one(client: Client, demo: DemoCounts) -> None:
    found = client.http.get("/services/payment-letter")
    missing = client.http.get("/services/no-such-thing")

    assert json.loads(found.body)["name"]["ca"] == "Carta de pagament"
    assert missing.status_code == 404
    assert json.loads(missing.body)["code"] == "not_found"


def test_empty_catalogue_is_an_empty_list(client: Client) -> None:
    body = json.loads(client.http.get("/services").body)

    assert body == {"items": [], "next": None}


def test_health(client: Client) -> None:
    response = client.http.get("/health")

    assert response.status_code == 200
    assert json.loads(response.body) == {"status": "ok"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_retention_per_service_is_what_the_rules_keep(client: Client, demo: DemoCounts) -> None:
    response = client.http.get("/retention")

    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["recording_default"] == {"years": 0, "months": 0, "days": 30}
    by_service = {s["service_id"]: s for s in body["services"]}
    # A certificate's call is evidence in its case file: kept 2 years, not the 30 days of a call without a procedure.
    assert by_service["residence-certificate"]["recording"] == {"years": 2, "months": 0, "days": 0}
    assert by_service["instalment-plan"]["documents"] == {"years": 6, "months": 1, "days": 0}


def test_changing_the_retention_rules_changes_what_citizens_are_told(client: Client, demo: DemoCounts) -> None:
    raw = json.loads(CONFIG.read_text(encoding="utf-8"))
    raw["recording_default"] = {"days": 45}
    raw["procedures"]["residence_certificate"]["recording"] = {"years": 3}
    assert client.http.get("/retention").status_code == 200  # the container is built inside a request
    get_container().retention = RetentionRules.from_config(raw, REGISTRY)

    body = json.loads(client.http.get("/retention").body)

    assert body["recording_default"] == {"years": 0, "months": 0, "days": 45}
    certificate = next(s for s in body["services"] if s["service_id"] == "residence-certificate")
    assert certificate["recording"] == {"years": 3, "months": 0, "days": 0}
