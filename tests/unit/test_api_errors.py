"""Every failure reaches the caller as RFC 9457 problem+json with a stable code, from one mapping."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.app import BadRequestError, ChaliceViewError, NotFoundError, Response

from chalicelib.api.errors import GATEWAY_RESPONSES, PROBLEM_JSON, from_exception, normalise
from chalicelib.api.request import MalformedJson
from chalicelib.domain.errors import Conflict, DependencyUnavailable, FieldError, NotFound, ValidationFailed


def _problem(response: Response) -> dict[str, Any]:
    assert response.headers["Content-Type"] == PROBLEM_JSON
    body = response.body if isinstance(response.body, dict) else json.loads(response.body)
    assert isinstance(body, dict)
    assert {"type", "title", "status", "code"} <= set(body)
    assert body["status"] == response.status_code
    assert body["type"] == f"/problems/{body['code']}"
    return body


def test_invalid_fields_are_422_with_each_field_and_message() -> None:
    failure = ValidationFailed(
        [FieldError("office", "one_of", choices="OMAC, OGAT"), FieldError("name.ca", "non_empty_text")]
    )

    response = from_exception(failure, "en")

    assert response.status_code == 422
    problem = _problem(response)
    assert problem["code"] == "validation_error"
    assert problem["errors"] == [
        {"field": "office", "code": "one_of", "message": "must be one of: OMAC, OGAT"},
        {"field": "name.ca", "code": "non_empty_text", "message": "must be a non-empty text"},
    ]
    assert problem["detail"] == "The request has invalid fields."


def test_not_found_is_404_with_the_detail() -> None:
    response = from_exception(NotFound("There is no service 'x'."))

    assert response.status_code == 404
    problem = _problem(response)
    assert problem["code"] == "not_found"
    assert problem["detail"] == "There is no service 'x'."


def test_a_conflict_is_409_with_its_own_code() -> None:
    response = from_exception(Conflict("slot_taken", "Someone booked that time a moment ago."))

    assert response.status_code == 409
    assert _problem(response)["code"] == "slot_taken"


def test_an_unavailable_dependency_is_503_and_says_when_to_retry() -> None:
    response = from_exception(DependencyUnavailable("The database did not answer."))

    assert response.status_code == 503
    assert _problem(response)["code"] == "dependency_unavailable"
    assert response.headers["Retry-After"] == "5"


def test_any_other_domain_error_is_400_with_its_code() -> None:
    response = from_exception(MalformedJson("The request needs a JSON object body."))

    assert response.status_code == 400
    assert _problem(response)["code"] == "malformed_json"


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (BadRequestError("Error Parsing JSON"), 400, "bad_request"),
        (NotFoundError("No such route"), 404, "not_found"),
    ],
)
def test_chalice_view_errors_keep_their_status(error: ChaliceViewError, status: int, code: str) -> None:
    response = from_exception(error)

    assert response.status_code == status
    assert _problem(response)["code"] == code


def test_a_chalice_server_error_is_an_internal_error_without_its_message() -> None:
    response = from_exception(ChaliceViewError("connection to 10.0.0.7 refused"))

    assert response.status_code == 500
    problem = _problem(response)
    assert problem["code"] == "internal_error"
    assert "10.0.0.7" not in json.dumps(problem)


def test_an_unexpected_exception_is_500_without_its_message() -> None:
    response = from_exception(RuntimeError("database exploded with secret=hunter2"))

    assert response.status_code == 500
    problem = _problem(response)
    assert problem["code"] == "internal_error"
    assert "hunter2" not in json.dumps(problem)


LOGGED = "The error has been logged with the request id."


@pytest.mark.parametrize(
    ("status", "chalice_code", "message", "code", "detail"),
    [
        (400, "BadRequestError", "Error Parsing JSON", "bad_request", "Error Parsing JSON"),
        (405, "MethodNotAllowedError", "Unsupported method: PUT", "method_not_allowed", "Unsupported method: PUT"),
        (
            415,
            "UnsupportedMediaType",
            "Unsupported media type: text/plain",
            "unsupported_media_type",
            "Unsupported media type: text/plain",
        ),
        (500, "InternalServerError", "An internal server error occurred.", "internal_error", LOGGED),
        (500, "InternalServerError", "Unknown request.", "internal_error", LOGGED),
        (502, "SomethingNew", "upstream said: secret", "internal_error", LOGGED),
    ],
)
def test_chalice_error_bodies_become_problems(
    status: int, chalice_code: str, message: str, code: str, detail: str | None
) -> None:
    # GIVEN Chalice's own error answer (its shape is {"Code", "Message"})
    original = Response(
        body={"Code": chalice_code, "Message": message},
        status_code=status,
        headers={"Content-Type": "application/json", "Allow": "GET"},
    )

    # WHEN the middleware normalises it
    response = normalise(original)

    # THEN the caller gets problem+json with the same status, and the other headers survive
    assert response.status_code == status
    problem = _problem(response)
    assert problem["code"] == code
    assert problem.get("detail") == detail
    assert response.headers["Allow"] == "GET"


@pytest.mark.parametrize(
    "response",
    [
        Response(body={"Code": "x", "Message": "y"}, status_code=200),
        Response(body={"items": [], "next": None}, status_code=200),
        Response(body='{"Code": "BadRequestError", "Message": "m"}', status_code=400),
        Response(body={"Code": "NotFoundError", "Message": "m", "extra": 1}, status_code=404),
        Response(body={"message": "Unauthorized"}, status_code=401),
    ],
)
def test_other_answers_pass_unchanged(response: Response) -> None:
    assert normalise(response) is response


def test_our_own_problems_pass_unchanged() -> None:
    ours = from_exception(NotFound("There is no service 'x'."))

    assert normalise(ours) is ours


@pytest.mark.parametrize("name", sorted(GATEWAY_RESPONSES))
def test_gateway_responses_are_problems(name: str) -> None:
    problem = GATEWAY_RESPONSES[name]

    assert {"type", "title", "status", "code"} <= set(problem)
    assert problem["type"] == f"/problems/{problem['code']}"
    assert problem["title"]
    assert json.loads(json.dumps(problem)) == problem


def test_an_unknown_route_is_a_404_problem_not_api_gateways_403() -> None:
    problem = GATEWAY_RESPONSES["MISSING_AUTHENTICATION_TOKEN"]

    assert (problem["status"], problem["code"]) == (404, "not_found")
    assert GATEWAY_RESPONSES["DEFAULT_4XX"]["status"] == 400
    assert GATEWAY_RESPONSES["DEFAULT_5XX"]["status"] >= 500


def _client_error(code: str, status: int = 400) -> Exception:
    from botocore.exceptions import ClientError

    response: Any = {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "Op")


def _unreachable_failures() -> list[Exception]:
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
    from pynamodb.exceptions import GetError

    refused = EndpointConnectionError(endpoint_url="https://dynamodb.eu-south-2.amazonaws.com")
    return [
        refused,
        ConnectTimeoutError(endpoint_url="https://kms.eu-south-2.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://s3.eu-south-2.amazonaws.com"),
        _client_error("ProvisionedThroughputExceededException"),
        _client_error("ThrottlingException"),
        _client_error("SlowDown", 503),
        GetError("Failed to get item", refused),  # PynamoDB keeps the SDK's error as its cause
    ]


@pytest.mark.parametrize("failure", _unreachable_failures(), ids=lambda e: type(e).__name__)
def test_a_dependency_we_cannot_reach_is_503_in_plain_words(failure: Exception) -> None:
    response = from_exception(failure)

    assert response.status_code == 503
    problem = _problem(response)
    assert problem["code"] == "service_unavailable"
    assert "try again" in problem["detail"]
    assert response.headers["Retry-After"] == "30"


def test_a_refused_conditional_write_is_not_mistaken_for_an_outage() -> None:
    from pynamodb.exceptions import PutError

    failure = PutError("Failed to put item", _client_error("ConditionalCheckFailedException"))

    assert from_exception(failure).status_code == 500
