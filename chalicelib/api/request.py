"""Reading requests: JSON bodies, query parameters and the request context, with problem+json on bad input."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from chalice.app import Request

from chalicelib.domain.audit import RequestContext
from chalicelib.domain.bounds import MAX_QUERY_CHARS, MAX_TEXT, Window, parse_day
from chalicelib.domain.errors import DomainError, FieldError, ValidationFailed
from chalicelib.texts import DEFAULT_LANGUAGE, from_accept_language

E = TypeVar("E", bound=StrEnum)


class MalformedJson(DomainError):
    code = "malformed_json"


def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object; anything else (no body, bad JSON, an array) is the caller's error."""
    raw = request.raw_body
    if not raw:
        raise MalformedJson("The request needs a JSON object body.")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        # ValueError covers bad UTF-8, bad JSON and numbers too long to read; RecursionError absurd nesting.
        raise MalformedJson(f"The body is not valid JSON ({exc.__class__.__name__}).") from None
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError("body", "json_object")])
    return body


def query_params(request: Request, long: tuple[str, ...] = ()) -> dict[str, str]:
    """The query parameters, each of a sane length: ``long`` ones (filters, cursors) up to their own maximum."""
    params: dict[str, str] = dict(request.query_params or {})
    errors = []
    for name, value in params.items():
        top = max(MAX_TEXT["filter"], MAX_TEXT["cursor"]) if name in long else MAX_QUERY_CHARS
        if len(value) > top:
            errors.append(FieldError(name, "too_long", high=top))
    if errors:
        raise ValidationFailed(errors)
    return params


def query_day(request: Request, name: str, window: Window) -> date | None:
    """A ``YYYY-MM-DD`` query parameter within ``window`` (None if absent or empty), or 422 naming it."""
    value = dict(request.query_params or {}).get(name)
    if not value:
        return None
    return parse_day(value, name, window)


def with_language(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """The body with the language of what we send back to the person (codes, confirmations, reminders): the one it
    names, else the first of ours its ``Accept-Language`` asks for, else Catalan. A named but unknown language is
    left for the use case to refuse at its field."""
    if "language" in body:
        return body
    return {**body, "language": language_of(request)}


def language_of(request: Request) -> str:
    """The request's language: the first of ours its ``Accept-Language`` asks for, else the council's default."""
    return from_accept_language(request.headers.get("accept-language")) or DEFAULT_LANGUAGE


def preview_asked(request: Request) -> bool:
    """``?preview=true`` on a back-office write: say what the change would do to booked appointments, save nothing;
    ``false`` or absent: save."""
    value = str(dict(request.query_params or {}).get("preview", ""))
    if value not in ("", "true", "false"):
        raise ValidationFailed([FieldError("preview", "boolean")])
    return value == "true"


def context_of(request: Request) -> RequestContext:
    context: dict[str, Any] = dict(request.context or {})
    # Behind CloudFront the connection's address is an edge's, shared by everyone: the middleware then sets the
    # viewer's address CloudFront wrote (``viewerIp``, None if it is missing). No client-sent header counts.
    source_ip = context["viewerIp"] if "viewerIp" in context else (context.get("identity") or {}).get("sourceIp")
    return RequestContext(request_id=str(context.get("requestId", "")), source_ip=source_ip)
