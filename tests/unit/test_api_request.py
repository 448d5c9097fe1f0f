"""Reading request bodies and query parameters: bad input is the caller's error, never a 500."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from chalice.app import Request

from chalicelib.api.request import MalformedJson, context_of, json_object
from chalicelib.domain.errors import ValidationFailed


def _request(
    body: bytes | str | None = None,
    query: dict[str, list[str]] | None = None,
    context: dict[str, Any] | None = None,
    base64_encoded: bool = False,
) -> Request:
    """A Chalice request from the smallest API Gateway (REST, proxy) event it accepts."""
    if base64_encoded and isinstance(body, bytes):
        body = base64.b64encode(body).decode("ascii")
    return Request(
        {
            "multiValueQueryStringParameters": query,
            "headers": {"content-type": "application/json"},
            "pathParameters": None,
            "requestContext": {"httpMethod": "POST", "resourcePath": "/test", **(context or {})},
            "stageVariables": None,
            "body": body,
            "isBase64Encoded": base64_encoded,
        }
    )


def test_a_json_object_body_is_read() -> None:
    body = json_object(_request('{"service_id": "payment-letter", "slots": [1, 2]}'))

    assert body == {"service_id": "payment-letter", "slots": [1, 2]}


def test_a_base64_encoded_body_is_read() -> None:
    body = json_object(_request('{"nom": "Núria"}'.encode(), base64_encoded=True))

    assert body == {"nom": "Núria"}


@pytest.mark.parametrize("raw", [None, "", b"", "{", "not json", b"\xff\xfe\xfd", '{"a": 1}}'])
def test_a_missing_or_unparseable_body_is_malformed_json(raw: bytes | str | None) -> None:
    with pytest.raises(MalformedJson):
        json_object(_request(raw))


@pytest.mark.parametrize("raw", ["[1, 2]", '"text"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_a_validation_failure_on_the_body(raw: str) -> None:
    with pytest.raises(ValidationFailed) as failure:
        json_object(_request(raw))

    assert [e.field for e in failure.value.errors] == ["body"]


def test_a_number_too_long_to_read_is_the_callers_error() -> None:
    with pytest.raises((MalformedJson, ValidationFailed)):
        json_object(_request('{"amount_cents": ' + "9" * 5000 + "}"))


def test_deeply_nested_json_is_the_callers_error() -> None:
    with pytest.raises((MalformedJson, ValidationFailed)):
        json_object(_request('{"a": ' + "[" * 100_000))


def test_the_request_context_gives_the_request_id_and_source_ip() -> None:
    request = _request(context={"requestId": "abc-123", "identity": {"sourceIp": "192.0.2.10"}})

    context = context_of(request)

    assert (context.request_id, context.source_ip) == ("abc-123", "192.0.2.10")


def test_a_request_context_without_identity_has_no_source_ip() -> None:
    assert context_of(_request()).source_ip is None


def test_behind_cloudfront_the_source_is_the_viewer_address_cloudfront_wrote() -> None:
    request = _request(context={"identity": {"sourceIp": "130.176.0.1"}, "viewerIp": "198.51.100.7"})

    assert context_of(request).source_ip == "198.51.100.7"


@pytest.mark.parametrize(
    ("header", "address"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:0:0:0:0:0:1", "2001:db8::1"),
        ("198.51.100.7, 203.0.113.9", None),
        ("not an address", None),
        (None, None),
    ],
)
def test_the_viewer_address_header_gives_one_normalised_address(header: str | None, address: str | None) -> None:
    from chalicelib.api.middleware import viewer_ip

    assert viewer_ip(header) == address
