"""HTTP middleware: correlation id, access log, security headers, problem+json for Chalice's own errors."""

from __future__ import annotations

import time
from collections.abc import Callable

from chalice.app import Request, Response

from chalicelib.api import errors
from chalicelib.observability import logger, metrics

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}


def http(request: Request, get_response: Callable[[Request], Response]) -> Response:
    started = time.perf_counter()
    context = request.context or {}
    logger.set_correlation_id(context.get("requestId"))
    response = errors.normalise(get_response(request))
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
