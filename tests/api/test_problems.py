"""Bad input never yields a 500: every failure is problem+json with a stable code."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.app import Chalice
from chalice.test import Client

from chalicelib.api import middleware
from chalicelib.api.blueprint import ApiBlueprint, json_response
from chalicelib.api.request import json_object
from chalicelib.domain.errors import FieldError, ValidationFailed


def _echo_app() -> Chalice:
    """A throwaway app wired like app.py, with one POST route that reads a typed JSON body."""
    blueprint = ApiBlueprint(__name__)

    @blueprint.route("/echo", methods=["POST"])
    def echo() -> Any:
        body = json_object(blueprint.current_request)
        if not isinstance(body.get("count"), int) or isinstance(body.get("count"), bool):
            raise ValidationFailed([FieldError("count", "whole_number")])
        return json_response({"count": body["count"]}, status=201)

    @blueprint.route("/boom", methods=["GET"])
    def boom() -> Any:
        raise RuntimeError("database exploded with secret=hunter2")

    app = Chalice(app_name="problems-test")
    app.register_middleware(middleware.http, "http")
    app.register_blueprint(blueprint)
    return app


@pytest.fixture
def echo() -> Client:
    return Client(_echo_app())


def _problem(response: Any) -> dict[str, Any]:
    assert response.headers["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = json.loads(response.body)
    assert {"type", "title", "status", "code"} <= set(body)
    assert body["status"] == response.status_code
    return body


def test_valid_body_passes(echo: Client) -> None:
    response = echo.http.post("/echo", body=json.dumps({"count": 3}), headers={"Content-Type": "application/json"})

    assert response.status_code == 201
    assert json.loads(response.body) == {"count": 3}


@pytest.mark.parametrize("raw", [b"", b"{", b"not json", b"\xff\xfe"])
def test_malformed_json_is_400(echo: Client, raw: bytes) -> None:
    response = echo.http.post("/echo", body=raw, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert _problem(response)["code"] == "malformed_json"


@pytest.mark.parametrize("body", [{"count": "3"}, {"count": None}, {"count": True}, {}, [1, 2]])
def test_wrong_types_are_422_with_the_field(echo: Client, body: Any) -> None:
    response = echo.http.post("/echo", body=json.dumps(body), headers={"Content-Type": "application/json"})

    assert response.status_code == 422
    problem = _problem(response)
    assert problem["code"] == "validation_error"
    assert problem["errors"][0]["field"] in ("count", "body")


def test_unsupported_media_type_is_415(echo: Client) -> None:
    response = echo.http.post("/echo", body=b"count=3", headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert response.status_code == 415
    assert _problem(response)["code"] == "unsupported_media_type"


def test_wrong_method_is_405(echo: Client) -> None:
    response = echo.http.get("/echo")

    assert response.status_code == 405
    assert _problem(response)["code"] == "method_not_allowed"


def test_unexpected_failure_is_a_500_problem_without_internals(echo: Client) -> None:
    response = echo.http.get("/boom")

    assert response.status_code == 500
    problem = _problem(response)
    assert problem["code"] == "internal_error"
    assert "hunter2" not in response.body.decode()


def test_wrong_method_on_the_real_api_is_405(client: Client) -> None:
    response = client.http.post("/services", body=b"{}", headers={"Content-Type": "application/json"})

    assert response.status_code == 405
    assert _problem(response)["code"] == "method_not_allowed"
