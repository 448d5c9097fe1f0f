"""The baseline of the media benchmark: a two-party relay built the stock aiortc way, no recording.

Each participant's tracks are decoded by aiortc's receiver, fanned out by ``MediaRelay`` and re-encoded by the other
participant's ``RTCRtpSender`` — what aiortc's examples do and what the node avoids. Same HTTP shape as the node's offer
(``POST /rooms/{room}/offer`` with ``{"sdp","type"}``; no token, no waiting room) and a ``GET /metrics`` whose
``loop_lag_ms`` comes from the node's own ``LoopLagMonitor``, so both servers' loop lag is measured the same way.

Run: ``python -m bench.stock_relay PORT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack

from videoatencion_media.metrics import LoopLagMonitor

KINDS = ("audio", "video")


class OtherSide(MediaStreamTrack):
    """The other participant's relayed track; until that participant has joined, ``recv`` waits for it."""

    def __init__(self, kind: str, source: asyncio.Future[MediaStreamTrack]) -> None:
        super().__init__()
        self.kind = kind
        self._source = source

    async def recv(self):  # type: ignore[no-untyped-def]
        track = await self._source
        return await track.recv()


@dataclass
class Room:
    # Per seat (0, 1): the participant's incoming tracks, relayed, once they arrive.
    seats: list[dict[str, asyncio.Future[MediaStreamTrack]]] = field(default_factory=list)
    pcs: list[RTCPeerConnection] = field(default_factory=list)

    def __post_init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.seats = [{kind: loop.create_future() for kind in KINDS} for _ in range(2)]


RELAY = web.AppKey("relay", MediaRelay)
ROOMS = web.AppKey("rooms", dict[str, Room])
LAG = web.AppKey("lag", LoopLagMonitor)


async def offer(request: web.Request) -> web.Response:
    body = await request.json()
    rooms = request.app[ROOMS]
    room = rooms.setdefault(request.match_info["room"], Room())
    seat = len(room.pcs)
    if seat >= 2:
        raise web.HTTPConflict(text="room full")
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    room.pcs.append(pc)
    relay = request.app[RELAY]

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        future = room.seats[seat][track.kind]
        if not future.done():
            future.set_result(relay.subscribe(track))

    await pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type=body["type"]))
    for transceiver in pc.getTransceivers():
        if transceiver.kind in KINDS:
            pc.addTrack(OtherSide(transceiver.kind, room.seats[1 - seat][transceiver.kind]))
    await pc.setLocalDescription(await pc.createAnswer())
    return web.json_response({"sdp": pc.localDescription.sdp, "type": pc.localDescription.type})


async def metrics(request: web.Request) -> web.Response:
    lag = request.app[LAG]
    return web.json_response({"loop_lag_ms": {"last": lag.last_ms, "max": lag.max_ms, "samples": lag.samples}})


async def _background(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[LAG].run())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    pcs = [pc for room in app[ROOMS].values() for pc in room.pcs]
    await asyncio.gather(*(pc.close() for pc in pcs), return_exceptions=True)


def create_app() -> web.Application:
    app = web.Application()
    app[RELAY] = MediaRelay()
    app[ROOMS] = {}
    app[LAG] = LoopLagMonitor()
    app.cleanup_ctx.append(_background)
    app.router.add_post("/rooms/{room}/offer", offer)
    app.router.add_get("/metrics", metrics)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
