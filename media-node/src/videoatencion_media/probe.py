"""The connection check a citizen's browser runs against a media node a day or two before the call.

``GET /probe`` answers small and at once (the browser times it for the round trip) with what the node announces: its
id and the STUN servers it uses itself. ``GET /probe/download?bytes=N`` sends N random bytes and
``POST /probe/upload`` takes up to as many, so the browser can time the bitrate each way. Sizes are bounded and each
client address has a small budget of measurements, so the probe can never become a way to make the node send or
swallow traffic at will. STUN and TURN reachability is the browser's to try (gathering server-reflexive and relay
candidates with the ICE servers the API hands out); the node only says which STUN servers it announces.
"""

from __future__ import annotations

import os

from aiohttp import web

from videoatencion_media.config import MediaConfig
from videoatencion_media.limits import KeyedBuckets, Rate, retry_after
from videoatencion_media.problems import problem_response
from videoatencion_media.signalling import client_address

MAX_PROBE_BYTES = 1_000_000  # one second at 8 Mbps: enough to tell 300 kbps from plenty, small for a phone plan
# A check makes a handful of requests (a few round trips, one download, one upload); a few checks in a row are fine.
PROBE_RATE = Rate(rate=0.5, burst=20)
NO_STORE = {"Cache-Control": "no-store"}
# Random bytes, made once: compression on the way cannot shrink them, so the timing measures the line.
_PAYLOAD = os.urandom(MAX_PROBE_BYTES)
PROBE_BUCKETS: web.AppKey[KeyedBuckets] = web.AppKey("probe_buckets", KeyedBuckets)
PROBE_CONFIG: web.AppKey[MediaConfig] = web.AppKey("probe_config", MediaConfig)


def add_probe_routes(app: web.Application, config: MediaConfig, rate: Rate = PROBE_RATE) -> None:
    app[PROBE_BUCKETS] = KeyedBuckets(rate)
    app[PROBE_CONFIG] = config
    app.router.add_get("/probe", probe)
    app.router.add_get("/probe/download", download)
    app.router.add_post("/probe/upload", upload)


def _limited(request: web.Request) -> web.Response | None:
    config = request.app[PROBE_CONFIG]
    wait = request.app[PROBE_BUCKETS].take(client_address(request, config.trust_loopback_proxy))
    if wait is None:
        return None
    return problem_response(
        429, "rate_limited", "Too many measurements; try again shortly.", {"Retry-After": retry_after(wait)}
    )


async def probe(request: web.Request) -> web.Response:
    refused = _limited(request)
    if refused is not None:
        return refused
    config = request.app[PROBE_CONFIG]
    body = {"node_id": config.node_id, "stun_urls": list(config.stun_urls), "max_bytes": MAX_PROBE_BYTES}
    return web.json_response(body, headers=NO_STORE)


async def download(request: web.Request) -> web.Response:
    raw = request.query.get("bytes", "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PROBE_BYTES:
        return problem_response(422, "validation_error", f"bytes must be a whole number from 1 to {MAX_PROBE_BYTES}.")
    refused = _limited(request)
    if refused is not None:
        return refused
    return web.Response(body=_PAYLOAD[: int(raw)], content_type="application/octet-stream", headers=NO_STORE)


async def upload(request: web.Request) -> web.Response:
    if request.content_length is not None and request.content_length > MAX_PROBE_BYTES:
        return problem_response(413, "too_large", f"At most {MAX_PROBE_BYTES} bytes.")
    refused = _limited(request)
    if refused is not None:
        return refused
    received = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        received += len(chunk)
        if received > MAX_PROBE_BYTES:
            return problem_response(413, "too_large", f"At most {MAX_PROBE_BYTES} bytes.")
    return web.json_response({"bytes": received}, headers=NO_STORE)
