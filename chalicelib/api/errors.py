"""The one place where failures become HTTP answers: RFC 9457 problem+json with a stable ``code``.

Three sources meet here: our domain exceptions (raised by use cases), Chalice's own error responses (bad JSON,
wrong method, unsupported media type, unhandled exceptions) and API Gateway's answers for requests that never
reach the function (unknown route), which production configures as gateway responses and the local server
emulates from ``GATEWAY_RESPONSES``.
"""

from __future__ import annotations

import json
from typing import Any

from chalice.app import ChaliceViewError, Response

from chalicelib.auth.policy import InsufficientAssurance
from chalicelib.domain.errors import (
    Conflict,
    DependencyUnavailable,
    DomainError,
    Forbidden,
    Gone,
    NotFound,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)
from chalicelib.observability import logger
from chalicelib.texts import DEFAULT_LANGUAGE, say

PROBLEM_JSON = "application/problem+json"

TITLES = {
    "bad_request": "The request could not be understood",
    "malformed_json": "The request body is not valid JSON",
    "validation_error": "The request has invalid fields",
    "unauthorized": "Authentication is needed",
    "forbidden": "Not allowed",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "unsupported_media_type": "Unsupported media type",
    "conflict": "The request conflicts with the current state",
    "too_many_requests": "Too many requests; try again later",
    "rate_limited": "Too many attempts; try again later",
    "too_many_attempts": "Too many wrong codes; ask for a new one",
    "invalid_token": "The access token is not valid",
    "invalid_code": "The code is not right",
    "code_expired": "The code has expired; ask for a new one",
    "otp_required": "Enter the code we have just sent you",
    "invalid_credentials": "Wrong user name or password",
    "account_disabled": "This account is disabled",
    "insufficient_assurance": "A stronger identification is needed",
    "dependency_unavailable": "A service we depend on is unavailable; nothing was changed",
    "service_unavailable": "The service is briefly unavailable; try again in a moment",
    "payload_too_large": "The request body is too large",
    "identity_not_checked": "The person's identity has not been checked",
    "already_issued": "This document was already issued in this appointment",
    "request_in_progress": "This request is already being served",
    "idempotency_key_reused": "This Idempotency-Key was used for another request",
    "internal_error": "Something went wrong on our side",
}

# Chalice's own errors (its exceptions, and its {"Code", "Message"} bodies) → our codes, by HTTP status.
_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
}


def _chalice_problem(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    if status >= 500:
        # Never echo a server-side message: it may name hosts, queries or data.
        return problem(status, "internal_error", "The error has been logged with the request id.", headers)
    return problem(status, _CODES_BY_STATUS.get(status, "bad_request"), message or None, headers)


def problem_body(status: int, code: str, detail: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": TITLES.get(code, code.replace("_", " ").capitalize()),
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    return body


def problem(
    status: int, code: str, detail: str | None = None, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    return Response(
        body=json.dumps(problem_body(status, code, detail, **extra)),
        status_code=status,
        headers={"Content-Type": PROBLEM_JSON, **(headers or {})},
    )


def from_exception(exc: Exception, lang: str = DEFAULT_LANGUAGE) -> Response:
    """The answer for ``exc``; field errors are told in ``lang``, the request's language (``request.language_of``)."""
    if isinstance(exc, ValidationFailed):
        return problem(
            422,
            exc.code,
            say("validation.invalid", lang),
            errors=[{"field": e.field, "code": e.key, "message": e.message(lang)} for e in exc.errors],
        )
    if isinstance(exc, NotFound):
        return problem(404, exc.code, exc.detail)
    if isinstance(exc, Unauthenticated):
        return problem(401, exc.code, exc.detail, headers={"WWW-Authenticate": "Bearer"}, **exc.extra)
    if isinstance(exc, (Forbidden, InsufficientAssurance)):
        if isinstance(exc, InsufficientAssurance):
            return problem(403, exc.code, exc.detail, required_assurance=exc.required.value)
        return problem(403, exc.code, exc.detail)
    if isinstance(exc, RateLimited):
        return problem(
            429, exc.code, exc.detail, headers={"Retry-After": str(exc.retry_after)}, retry_after=exc.retry_after
        )
    if isinstance(exc, Conflict):
        return problem(409, exc.code, exc.detail, None, **exc.extra)
    if isinstance(exc, Gone):
        return problem(410, exc.code, exc.detail)
    if isinstance(exc, DependencyUnavailable):
        return problem(503, exc.code, exc.detail, headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, DomainError):
        return problem(400, exc.code, exc.detail)
    if isinstance(exc, ChaliceViewError):
        if exc.STATUS_CODE >= 500:
            logger.exception("Chalice error")
        return _chalice_problem(exc.STATUS_CODE, str(exc))
    if _unreachable(exc):
        logger.warning("dependency unreachable", exc_info=exc)
        return problem(
            503,
            "service_unavailable",
            "The service is briefly unavailable: try again in a moment.",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)},
        )
    logger.exception("unhandled error")
    return problem(500, "internal_error", "The error has been logged with the request id.")


UNAVAILABLE_RETRY_SECONDS = 30
# AWS error codes that mean "busy or briefly down", left after the SDK's own retries (DynamoDB, KMS, S3, SSM,
# Secrets Manager, SES, SNS).
_TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalServerError",
        "InternalFailure",
        "KMSInternalException",
        "DependencyTimeoutException",
    }
)


def _unreachable(exc: BaseException) -> bool:
    """Whether the failure is an AWS service we could not reach or that stayed busy, not a fault of ours.

    PynamoDB wraps the SDK's error in its own (``cause``), and code may chain it (``__cause__``); a conditional
    write that failed is a PynamoDB error too, so only the cause decides.
    """
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as EndpointUnreachable

    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (EndpointUnreachable, HTTPClientError)):  # refused, timed out, closed, DNS
            return True
        if isinstance(current, ClientError):
            error = current.response.get("Error", {})
            status = current.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if error.get("Code") in _TRANSIENT_CODES or status == 503:
                return True
        pending += [getattr(current, "cause", None), current.__cause__, current.__context__]
    return False


def normalise(response: Response) -> Response:
    """Turn Chalice's own error responses into problem+json; leave every other response alone."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or set(body) != {"Code", "Message"}:
        return response
    headers = {name: value for name, value in response.headers.items() if isinstance(value, str)}
    normalised = _chalice_problem(response.status_code, str(body["Message"]), headers)
    normalised.headers["Content-Type"] = PROBLEM_JSON
    return normalised


# Answers API Gateway gives itself, configured in production as gateway responses (infra) and emulated by the
# local server (dev/api_server.py). API Gateway reports an unknown route or method as a missing token (403).
GATEWAY_RESPONSES: dict[str, dict[str, Any]] = {
    "MISSING_AUTHENTICATION_TOKEN": problem_body(404, "not_found", "There is no such resource."),
    "DEFAULT_4XX": problem_body(400, "bad_request"),
    "DEFAULT_5XX": problem_body(502, "dependency_unavailable"),
}
