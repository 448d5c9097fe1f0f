"""Errors as ``application/problem+json`` (RFC 9457), the same shape the API uses (API.md, "Conventions").

One place turns every failure of a request into a problem document, so clients never see aiohttp's plain-text pages
or a traceback.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

PROBLEM_CONTENT_TYPE = "application/problem+json"

logger = logging.getLogger(__name__)


def problem_response(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> web.Response:
    phrase = HTTPStatus(status).phrase
    body = {"type": "about:blank", "title": phrase, "status": status, "detail": detail, "code": code}
    return web.Response(
        status=status,
        text=json.dumps(body),
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def _from_http_exception(request: web.Request, error: web.HTTPException) -> web.Response:
    if isinstance(error, web.HTTPNotFound):
        return problem_response(404, "not_found", "There is no resource at this path.")
    if isinstance(error, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(error.allowed_methods))
        return problem_response(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on this resource; allowed: {allowed}.",
            headers={hdrs.ALLOW: allowed},
        )
    code = HTTPStatus(error.status).phrase.lower().replace(" ", "_").replace("-", "_")
    return problem_response(error.status, code, error.reason)


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return _from_http_exception(request, error)
    except Exception:
        logger.exception("unhandled error", extra={"method": request.method, "path": request.path})
        return problem_response(500, "internal_error", "The media node failed to handle the request.")
