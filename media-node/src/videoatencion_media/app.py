"""The media node's HTTP application: routes, middleware and the background tasks that live as long as it does.

This module wires; the pieces (rooms, signalling, engine, recorder, uploader, webhooks, registry) each live in their
own module and every one of them can be handed in by a test instead of being built from the configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from aiohttp import hdrs, web
from aiortc import RTCIceServer

from videoatencion_media.auth import JwksClient, TokenVerifier
from videoatencion_media.config import MediaConfig
from videoatencion_media.cors import cors_middleware
from videoatencion_media.engine import RoomMedia
from videoatencion_media.limits import SignallingLimits
from videoatencion_media.metrics import LoopLagMonitor, MetricsSnapshot, process_usage
from videoatencion_media.probe import add_probe_routes
from videoatencion_media.problems import problem_middleware, problem_response
from videoatencion_media.recording import RoomRecorder
from videoatencion_media.registry import Load, NodeRegistration
from videoatencion_media.remux_worker import stop_shared_worker
from videoatencion_media.rooms import EndReason, MediaBundle, RoomEvents, RoomRegistry
from videoatencion_media.rtp_recording import RtpRoomRecorder
from videoatencion_media.sessions import SessionWatch
from videoatencion_media.signalling import Signalling, add_routes
from videoatencion_media.webhooks import WebhookSender, spool_dir

CONFIG = web.AppKey("config", MediaConfig)
ROOMS = web.AppKey("rooms", RoomRegistry)
LOOP_LAG = web.AppKey("loop_lag", LoopLagMonitor)
STARTED_AT = web.AppKey("started_at", float)

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

logger = logging.getLogger(__name__)


class Uploads(Protocol):
    """What the node needs of the recordings uploader."""

    def notify(self, _info: object = None) -> None: ...
    async def recover(self) -> Any: ...
    async def run(self) -> None: ...
    async def drain(self, timeout: float) -> Any: ...  # noqa: ASYNC109 - the uploader's own signature


class Webhooks(RoomEvents, Protocol):
    def recover(self) -> int: ...
    async def run(self) -> None: ...
    async def drain(self, within: float) -> bool: ...


class EngineMedia:
    """Builds a room's media: the engine's ``RoomMedia`` on the node's forwarding path, recording through that path's
    recorder (``RtpRoomRecorder`` or ``RoomRecorder``) under the node's recordings folder, whose closed segments go to
    the uploader as they close."""

    records = True

    def __init__(self, config: MediaConfig, on_segment_closed: Callable[[dict[str, Any]], None] | None) -> None:
        self._config = config
        self._on_segment_closed = on_segment_closed

    def create(self, room_id: str, appointment_id: str) -> MediaBundle:
        forwarding = self._config.forwarding
        recorder_class = RtpRoomRecorder if forwarding == "rtp" else RoomRecorder
        recorder = recorder_class(
            self._config.recordings_dir,
            room_id,
            appointment_id,
            segment_seconds=self._config.segment_seconds,
            on_segment_closed=self._on_segment_closed,
        )
        ice = [RTCIceServer(urls=list(self._config.stun_urls))] if self._config.stun_urls else None
        media = RoomMedia(room_id, appointment_id, recorder, ice, forwarding=forwarding)
        return MediaBundle(media, recorder)


class NodeServices:
    """The long-lived parts of a node and their order at start and at stop."""

    def __init__(
        self,
        config: MediaConfig,
        rooms: RoomRegistry,
        webhooks: Webhooks,
        uploads: Uploads | None,
        registration: NodeRegistration | None,
        sessions: SessionWatch,
        close_verifier: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.config = config
        self.rooms = rooms
        self.sessions = sessions
        self.webhooks = webhooks
        self.uploads = uploads
        self.registration = registration
        self._close_verifier = close_verifier
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def draining(self) -> bool:
        return self.rooms.draining

    async def start(self) -> None:
        self.webhooks.recover()
        self._tasks.append(asyncio.create_task(self.webhooks.run(), name="webhooks"))
        if self.uploads is not None:
            # Segments and manifests a crashed predecessor left on disk go up first.
            await self.uploads.recover()
            self._tasks.append(asyncio.create_task(self.uploads.run(), name="uploads"))
        if self.registration is not None:
            self._tasks.append(asyncio.create_task(self.registration.run(), name="registry-heartbeat"))
        if self.sessions.enabled:
            self._tasks.append(asyncio.create_task(self.sessions.run(), name="session-watch"))

    async def drain(self, hurry: asyncio.Event | None = None) -> None:
        """Take no new room, tell the registry, let calls in progress finish (up to the drain timeout, or until
        ``hurry`` is set), then end what is left."""
        if not self.rooms.draining:
            self.rooms.draining = True
            logger.info("media node draining", extra={"rooms": self.rooms.room_count})
            if self.registration is not None:
                await self.registration.set_draining()
        waits = [asyncio.create_task(self.rooms.wait_until_empty(self.config.drain_seconds))]
        if hurry is not None:
            waits.append(asyncio.create_task(hurry.wait()))
        _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if self.rooms.room_count:
            logger.warning("ending calls still in progress", extra={"rooms": self.rooms.room_count})
            await self.rooms.end_all(EndReason.SHUTDOWN)

    async def stop(self) -> None:
        self.rooms.draining = True
        await self.rooms.end_all(EndReason.SHUTDOWN)
        # The recordings are finished: the RTP path's remux worker has nothing left to follow.
        await asyncio.to_thread(stop_shared_worker)
        if self.uploads is not None:
            await self.uploads.drain(self.config.upload_drain_seconds)
        # Last, so the recording_complete events of the uploads above go out too.
        await self.webhooks.drain(self.config.upload_drain_seconds)
        for task in reversed(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.registration is not None:
            await self.registration.deregister()
        if self._close_verifier is not None:
            await self._close_verifier()


NODE = web.AppKey("node", NodeServices)


def create_app(
    config: MediaConfig,
    *,
    rooms: RoomRegistry | None = None,
    loop_lag: LoopLagMonitor | None = None,
    verifier: TokenVerifier | None = None,
    limits: SignallingLimits | None = None,
    webhooks: Webhooks | None = None,
    uploads: Uploads | None = None,
    registration: NodeRegistration | None = None,
    sessions: SessionWatch | None = None,
) -> web.Application:
    """The node's app; whatever is not handed in is built from ``config``."""
    # CORS outermost, so error responses carry the CORS grant too and the SPA can read them.
    app = web.Application(middlewares=[cors_middleware(config.allowed_origins), problem_middleware])
    webhooks = webhooks if webhooks is not None else _webhooks(config)
    if uploads is None:
        uploads = _uploads(config, webhooks)
    if rooms is None:
        rooms = RoomRegistry(
            EngineMedia(config, uploads.notify),
            webhooks,
            max_rooms=config.max_rooms,
            grace_seconds=config.grace_seconds,
        )
    close_verifier = None
    if verifier is None:
        jwks = JwksClient(config.jwks_url)
        verifier = TokenVerifier(jwks, issuer=config.token_issuer)
        close_verifier = jwks.close
    if registration is None and config.registry_table is not None:
        registration = _registration(config, rooms)
    if sessions is None:
        sessions = SessionWatch(
            rooms, config.sessions_url, config.webhook_secret, config.node_id, interval=config.session_check_seconds
        )

    app[CONFIG] = config
    app[ROOMS] = rooms
    app[LOOP_LAG] = loop_lag if loop_lag is not None else LoopLagMonitor()
    app[STARTED_AT] = time.monotonic()
    app[NODE] = NodeServices(config, rooms, webhooks, uploads, registration, sessions, close_verifier)
    app.cleanup_ctx.append(_loop_lag_monitoring)
    app.cleanup_ctx.append(_node_services)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    add_probe_routes(app, config)
    signalling = Signalling(
        rooms,
        verifier,
        limits,
        trust_loopback_proxy=config.trust_loopback_proxy,
        sessions=sessions,
        public_peers_only=config.public_peers_only,
    )
    add_routes(app, signalling)
    return app


def _webhooks(config: MediaConfig) -> WebhookSender:
    if config.webhook_url is not None and config.webhook_secret is None:
        logger.warning("MEDIA_API_URL is set but MEDIA_WEBHOOK_SECRET is not: room events are not reported")
    return WebhookSender(config.webhook_url, config.webhook_secret, config.node_id, spool_dir(config.recordings_dir))


def _uploads(config: MediaConfig, webhooks: RoomEvents) -> Uploads:
    from videoatencion_media.uploads import Uploader

    async def on_complete(result: dict[str, Any]) -> None:
        if "room_id" not in result or "appointment_id" not in result:
            result = {**result, **await asyncio.to_thread(_recording_room, result)}
        report_recording(webhooks, result)

    return Uploader(
        config.recordings_dir,
        config.recordings_bucket,
        config.recordings_kms_key,
        _s3_client,
        on_complete,
    )


def _recording_room(result: dict[str, Any]) -> dict[str, str]:
    """Room and appointment of an uploaded recording: from its key ``recordings/{appointment}/{room}/manifest.json``,
    or, kept on disk only, from the manifest itself."""
    key = str(result.get("manifest_key", ""))
    if result.get("bucket") is not None:
        parts = key.split("/")
        if len(parts) == 4:
            return {"appointment_id": parts[1], "room_id": parts[2]}
    try:
        manifest = json.loads(Path(key).read_text())
    except (OSError, ValueError):
        logger.exception("cannot tell which room a recording belongs to", extra={"manifest_key": key})
        return {"room_id": "", "appointment_id": ""}
    return {"room_id": str(manifest.get("room_id", "")), "appointment_id": str(manifest.get("appointment_id", ""))}


def report_recording(webhooks: RoomEvents, result: dict[str, Any]) -> None:
    """The uploader's outcome for one room, as the API's ``recording_complete`` / ``recording_failed`` webhook."""
    room_id = str(result.get("room_id", ""))
    appointment_id = str(result.get("appointment_id", ""))
    if result.get("status") == "failed":
        webhooks.emit("recording_failed", room_id, appointment_id, {"detail": str(result.get("detail", ""))})
        return
    recording = {
        key: result[key]
        for key in ("bucket", "manifest_key", "manifest_sha256", "segments", "duration_seconds", "status")
        if key in result
    }
    webhooks.emit("recording_complete", room_id, appointment_id, {"recording": recording})


def _s3_client() -> Any:
    import boto3

    return boto3.client("s3")


def _registration(config: MediaConfig, rooms: RoomRegistry) -> NodeRegistration:
    import boto3

    assert config.registry_table is not None  # noqa: S101 - the caller checked
    return NodeRegistration(
        boto3.client("dynamodb"),
        config.registry_table,
        node_id=config.node_id,
        url=config.base_url,
        max_rooms=config.max_rooms,
        load=lambda: Load(rooms.room_count, rooms.participant_count),
    )


async def _loop_lag_monitoring(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[LOOP_LAG].run(), name="loop-lag-monitor")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _node_services(app: web.Application) -> AsyncIterator[None]:
    node = app[NODE]
    await node.start()
    yield
    await node.stop()


async def health(request: web.Request) -> web.Response:
    # Public (the SPA's network check, ECS): the status only; how many rooms and people are on the node is for
    # operators (/metrics) and the registry.
    draining = request.app[NODE].draining
    return web.json_response({"status": "draining" if draining else "ok"}, status=503 if draining else 200)


async def metrics(request: web.Request) -> web.Response:
    app = request.app
    refusal = _metrics_refusal(request, app[CONFIG].metrics_token)
    if refusal is not None:
        return refusal
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


def _metrics_refusal(request: web.Request, token: str | None) -> web.Response | None:
    """None when the caller may read /metrics: load, memory and uptime help whoever plans an attack on the node."""
    if token is None:
        return problem_response(404, "not_found", "There is no resource at this path.")
    given = request.headers.get(hdrs.AUTHORIZATION, "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return problem_response(
            401, "invalid_token", "/metrics needs the node's metrics token.", headers={hdrs.WWW_AUTHENTICATE: "Bearer"}
        )
    return None


def _wants_prometheus(request: web.Request) -> bool:
    # Prometheus asks for openmetrics or text/plain and never for JSON; everything else gets JSON.
    accept = request.headers.get(hdrs.ACCEPT, "")
    return "text/plain" in accept and "application/json" not in accept
