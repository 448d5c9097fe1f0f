"""Cross-origin access for the SPA, which is served from another origin than the media node.

Kept minimal on purpose (no aiohttp-cors): the node answers a handful of routes and only the SPA's origins may call
them. WebSocket upgrades are left alone: browsers do not apply CORS to them, the events handler checks the token.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

from videoatencion_media.problems import problem_response

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type, Authorization"
PREFLIGHT_MAX_AGE_SECONDS = "600"


def cors_middleware(allowed_origins: Iterable[str]) -> Middleware:
    allowed = frozenset(allowed_origins)

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get(hdrs.ORIGIN)
        is_preflight = (
            request.method == hdrs.METH_OPTIONS
            and origin is not None
            and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers
        )
        if is_preflight and origin not in allowed:
            response: web.StreamResponse = problem_response(
                403, "origin_not_allowed", "This origin may not call the media node."
            )
        elif is_preflight:
            response = web.Response(
                status=204,
                headers={
                    hdrs.ACCESS_CONTROL_ALLOW_METHODS: ALLOWED_METHODS,
                    hdrs.ACCESS_CONTROL_ALLOW_HEADERS: ALLOWED_HEADERS,
                    hdrs.ACCESS_CONTROL_MAX_AGE: PREFLIGHT_MAX_AGE_SECONDS,
                },
            )
        else:
            response = await handler(request)

        if response.prepared:
            return response
        # The answer depends on Origin, so shared caches must key on it even when this origin got no grant.
        response.headers.add(hdrs.VARY, hdrs.ORIGIN)
        if origin is not None and origin in allowed:
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
        return response

    return cors
