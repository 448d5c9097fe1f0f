"""Whatever arrives, parsing answers with a value or the caller's error, never an unexpected exception."""

from __future__ import annotations

import base64
from typing import Any

from chalice.app import Request
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.api.request import MalformedJson, json_object
from chalicelib.domain.catalogue import Text
from chalicelib.domain.errors import ValidationFailed
from chalicelib.texts import LANGUAGES

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=10)
# Mostly near-misses of a text: the right languages with arbitrary values, plus stray keys.
TEXT_LIKE = st.dictionaries(st.sampled_from([*LANGUAGES, "fr", "CA", ""]) | st.text(), JSON, max_size=6)


@given(raw=TEXT_LIKE | JSON)
def test_text_parse_gives_a_text_or_names_the_bad_languages(raw: Any) -> None:
    failure: ValidationFailed | None = None
    try:
        text = Text.parse(raw, "name")
    except ValidationFailed as raised:
        failure = raised

    if failure is None:
        assert all(isinstance(value, str) and value.strip() for value in text.as_dict().values())
    else:
        assert failure.errors
        assert {e.field for e in failure.errors} <= {"name", *(f"name.{lang}" for lang in LANGUAGES)}


def _request(body: bytes) -> Request:
    # API Gateway hands binary bodies to the function base64-encoded.
    return Request(
        {
            "multiValueQueryStringParameters": None,
            "headers": {"content-type": "application/json"},
            "pathParameters": None,
            "requestContext": {"httpMethod": "POST", "resourcePath": "/test"},
            "stageVariables": None,
            "body": base64.b64encode(body).decode("ascii"),
            "isBase64Encoded": True,
        }
    )


@given(body=st.binary(max_size=256))
def test_any_bytes_give_an_object_or_the_callers_error(body: bytes) -> None:
    try:
        parsed = json_object(_request(body))
    except (MalformedJson, ValidationFailed):
        return
    assert isinstance(parsed, dict)


@given(body=st.text(alphabet='{}[]":,0123456789.eE+-tfnrulas \\', max_size=64))
def test_json_looking_text_gives_an_object_or_the_callers_error(body: str) -> None:
    try:
        parsed = json_object(_request(body.encode()))
    except (MalformedJson, ValidationFailed):
        return
    assert isinstance(parsed, dict)
