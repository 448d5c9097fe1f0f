"""openapi.yaml is a valid OpenAPI 3.1 document and names exactly the routes the API serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from chalice.test import Client
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from app import app
from dev.seed import DemoCounts

SPEC: dict[str, Any] = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi.yaml").read_text())


def test_document_is_valid_openapi() -> None:
    validate(SPEC)


def test_documented_routes_are_exactly_the_served_routes() -> None:
    served = {(path, method.lower()) for path, methods in app.routes.items() for method in methods}
    documented = {(path, method) for path, item in SPEC["paths"].items() for method in item}

    assert documented == served


def _validator(component: str) -> Draft202012Validator:
    registry = Registry().with_resource("urn:spec", DRAFT202012.create_resource(SPEC))
    schema = {"$ref": f"urn:spec#/components/schemas/{component}"}
    return Draft202012Validator(schema, registry=registry)


def test_served_catalogue_matches_the_documented_schema(client: Client, demo: DemoCounts) -> None:
    services = json.loads(client.http.get("/services").body)["items"]
    offices = json.loads(client.http.get("/offices").body)
    problem = json.loads(client.http.get("/services/nope").body)

    for service in services:
        _validator("Service").validate(service)
    assert offices
    for office in offices:
        _validator("OfficeRecord").validate(office)
    _validator("Problem").validate(problem)


def test_served_staff_matches_the_documented_schema(client: Client, demo: DemoCounts) -> None:
    from chalicelib.bootstrap import get_container

    client.http.get("/services")
    container = get_container()
    account = container.staff.get("admin")
    assert account is not None
    headers = {"Authorization": f"Bearer {container.sessions.issue_staff(account).token}"}
    everyone = json.loads(client.http.get("/admin/staff", headers=headers).body)["items"]

    assert everyone
    for person in everyone:
        _validator("Staff").validate(person)
