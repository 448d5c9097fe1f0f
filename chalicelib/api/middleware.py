"""HTTP middleware: origin check, body size, correlation id, access log, security headers, problem+json."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable

from chalice.app import Request, Response

from chalicelib.api import errors
from chalicelib.api.request import language_of
from chalicelib.observability import logger, metrics

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}


# CloudFront sends this header with a value from Secrets Manager (infra/stacks/web_stack.py); nobody else knows it.
ORIGIN_HEADER = "x-origin-verify"
# Set by the /api/* viewer-request CloudFront Function from the address CloudFront accepted the connection from,
# replacing any value the viewer sent (infra/stacks/web_stack.py); the WAF's rate rules count the same header.
VIEWER_ADDRESS_HEADER = "x-viewer-ip"
# Bodies larger than this are refused before anything reads them. Attachments are up to 4 MB, base64 in JSON.
MAX_BODY_BYTES = 64 * 1024
# The media nodes call these on API Gateway directly (not through CloudFront): the node signs its reports and session
# checks (HMAC, checked by the use case) and the token keys are public. The WAF lets the same paths through.
NODE_ROUTES = frozenset({"/media/events", "/media/sessions", "/.well-known/jwks.json"})
MAX_BODY_BYTES_BY_ROUTE = {"/appointments/{appointment_id}/attachments": 6 * 1024 * 1024}


def http(request: Request, get_response: Callable[[Request], Response]) -> Response:
    started = time.perf_counter()
    context = request.context
    logger.set_correlation_id(context.get("requestId"))
    response = errors.normalise(_refusal(request) or get_response(request))
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Request-Id"] = str(context.get("requestId", ""))
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    # Paths only: query strings may carry personal data.
    logger.info(
        "request",
        extra={
            "method": request.method,
            "path": context.get("resourcePath"),
            "status": response.status_code,
            "duration_ms": elapsed_ms,
        },
    )
    if response.status_code >= 500:
        metrics.add_metric(name="ServerErrors", unit="Count", value=1)
        metrics.flush_metrics()
    return response


def _refusal(request: Request) -> Response | None:
    """The answer for a request we refuse before doing anything with it; None to let it through."""
    try:
        return _check(request)
    except Exception as exc:  # Secrets Manager unreachable: 503, like every other dependency
        return errors.from_exception(exc, language_of(request))


def _check(request: Request) -> Response | None:
    from chalicelib.settings import get_settings

    if get_settings().origin_secret_id and request.context.get("resourcePath") not in NODE_ROUTES:
        from chalicelib.bootstrap import get_container

        # API Gateway's own address is public: without the check the WAF in front of CloudFront could be walked
        # around. A resource policy cannot look at custom headers, so the function checks before anything else.
        if not get_container().origin_secret.accepts(request.headers.get(ORIGIN_HEADER)):
            return errors.problem(403, "forbidden", "Use the service's public address.")
        # Only now is the viewer address one CloudFront wrote; the rate limits count it (api/request.py).
        request.context["viewerIp"] = viewer_ip(request.headers.get(VIEWER_ADDRESS_HEADER))
    limit = MAX_BODY_BYTES_BY_ROUTE.get(str(request.context.get("resourcePath")), MAX_BODY_BYTES)
    if _body_size(request) > limit:
        return errors.problem(413, "payload_too_large", f"The request body may have at most {limit // 1024} KB.")
    return None


def _body_size(request: Request) -> int:
    # What arrived, not what the client declared: the body is already in the event, unread (not parsed) so far.
    return len(request.raw_body or b"")


def viewer_ip(header: str | None) -> str | None:
    """The viewer's address CloudFront wrote, normalised; None if it is not an address."""
    try:
        return str(ipaddress.ip_address((header or "").strip()))
    except ValueError:
        return None
