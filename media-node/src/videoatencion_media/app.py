"""The media node's HTTP application: routes, middleware and the background tasks that live as long as it does."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from aiohttp import hdrs, web

from videoatencion_media.config import MediaConfig
from videoatencion_media.cors import cors_middleware
from videoatencion_media.metrics import LoopLagMonitor, MetricsSnapshot, process_usage
from videoatencion_media.problems import problem_middleware
from videoatencion_media.rooms import RoomRegistry

CONFIG = web.AppKey("config", MediaConfig)
ROOMS = web.AppKey("rooms", RoomRegistry)
LOOP_LAG = web.AppKey("loop_lag", LoopLagMonitor)
STARTED_AT = web.AppKey("started_at", float)

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def create_app(
    config: MediaConfig,
    *,
    rooms: RoomRegistry | None = None,
    loop_lag: LoopLagMonitor | None = None,
) -> web.Application:
    # CORS outermost, so error responses carry the CORS grant too and the SPA can read them.
    app = web.Application(middlewares=[cors_middleware(config.allowed_origins), problem_middleware])
    app[CONFIG] = config
    app[ROOMS] = rooms if rooms is not None else RoomRegistry()
    app[LOOP_LAG] = loop_lag if loop_lag is not None else LoopLagMonitor()
    app[STARTED_AT] = time.monotonic()
    app.cleanup_ctx.append(_loop_lag_monitoring)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    return app


async def _loop_lag_monitoring(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[LOOP_LAG].run(), name="loop-lag-monitor")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def health(request: web.Request) -> web.Response:
    rooms = request.app[ROOMS]
    return web.json_response({"status": "ok", "rooms": rooms.room_count, "participants": rooms.participant_count})


async def metrics(request: web.Request) -> web.Response:
    app = request.app
    loop_lag = app[LOOP_LAG]
    snapshot = MetricsSnapshot(
        rooms=app[ROOMS].room_count,
        participants=app[ROOMS].participant_count,
        usage=process_usage(),
        loop_lag_last_ms=loop_lag.last_ms,
        loop_lag_max_ms=loop_lag.max_ms,
        loop_lag_window_seconds=loop_lag.window,
        uptime_seconds=time.monotonic() - app[STARTED_AT],
    )
    if _wants_prometheus(request):
        response = web.Response(text=snapshot.to_prometheus(), headers={hdrs.CONTENT_TYPE: PROMETHEUS_CONTENT_TYPE})
    else:
        response = web.json_response(snapshot.to_json())
    response.headers.add(hdrs.VARY, hdrs.ACCEPT)
    return response


def _wants_prometheus(request: web.Request) -> bool:
    # Prometheus asks for openmetrics or text/plain and never for JSON; everything else gets JSON.
    accept = request.headers.get(hdrs.ACCEPT, "")
    return "text/plain" in accept and "application/json" not in accept
