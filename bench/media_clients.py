"""Load clients of the media benchmark: aiortc peers that send the pre-encoded file and count what they receive.

``bench/media.py`` now runs the RTP-level clients of ``bench/rtp_clients.py`` instead (these cost more CPU than the
node they load); this module keeps what both share (``audio_stats``, ``ClientReport``, ``vp8_keyframe_size``) and
can still be run by hand against a node, as a client whose media goes through aiortc's own RTP stack.

Runs as its own process (``python -m bench.media_clients``) so the clients' cost stays out of the server's figures and
out of the orchestrating process. Protocol on stdin/stdout, one JSON object per line:

- in, first line: ``{"base_url", "mode": "node"|"stock", "media": path, "clients": [{"call", "role", "room",
  "token"}]}``; the process connects every client, then answers ``{"event": "ready", "connected": n, "errors": [...]}``
  once each client has received video (or after ``READY_TIMEOUT``);
- in: ``{"cmd": "measure"}`` → counters restart, answer ``{"event": "measuring"}``;
- in: ``{"cmd": "report"}`` → ``{"event": "report", "seconds", "clients": [ClientReport...]}``;
- in: ``{"cmd": "stop"}`` (or end of input) → peers closed, ``{"event": "stopped"}``, exit.

With ``mode`` = ``node`` each client also opens the events WebSocket (``GET /rooms/{room}/events?token=``); the
agent admits whoever is waiting. ``stock`` (the baseline relay) has no waiting room and no tokens.

What a client counts, between ``measure`` and ``report``: complete video frames out of aiortc's jitter buffer (the frame
size read from each keyframe's header), and decoded audio frames with their RTP timestamps and arrival times, from which
``audio_stats`` derives concealment: what a player with a 60 ms buffer would have concealed (frames that never came,
waits for late ones). aiortc's receiver stats have no concealment counter (only packetsLost and jitter), and aiortc does
not conceal: it drops what its jitter buffer gives up on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import aiortc.rtcrtpreceiver as _rtcrtpreceiver
import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from bench.media_file import AUDIO_FRAME, SAMPLE_RATE, ReplayTrack, load

# Video is counted, not decoded: 16 aiortc clients decoding 640x480 VP8 at 30 fps would need about two cores, the
# whole machine, and starve the server being measured. The first video stream of each client process is decoded in
# full as a check (``DECODE_CHECK``); its decoded frames and errors are reported. This is the one place the benchmark
# reaches into aiortc: ``aiortc.rtcrtpreceiver.get_decoder``, looked up by each receiver's decoder thread.
_stock_get_decoder = _rtcrtpreceiver.get_decoder  # type: ignore[attr-defined]
DECODE_CHECK = {"streams": 0, "decoded": 0, "errors": 0}


@dataclass(frozen=True, slots=True)
class EncodedVideoFrame:
    """What the remote video track yields instead of a decoded frame."""

    size: tuple[int, int] | None  # from a keyframe's header, None for inter frames


def vp8_keyframe_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 keyframe's header (RFC 6386 9.1); None for an inter frame or garbage."""
    if len(data) < 10 or data[0] & 0x01 or data[3:6] != b"\x9d\x01\x2a":
        return None
    return int.from_bytes(data[6:8], "little") & 0x3FFF, int.from_bytes(data[8:10], "little") & 0x3FFF


class CountingVp8Decoder:
    def __init__(self, check: Any) -> None:
        self._check = check  # the stock decoder for the one checked stream, else None

    def decode(self, encoded_frame: Any) -> list[Any]:
        data = bytes(encoded_frame.data)
        if self._check is not None:
            try:
                DECODE_CHECK["decoded"] += len(self._check.decode(encoded_frame))
            except av.FFmpegError:
                DECODE_CHECK["errors"] += 1
        return [EncodedVideoFrame(vp8_keyframe_size(data))]


def _get_decoder(codec: Any) -> Any:
    if codec.mimeType.lower() != "video/vp8":
        return _stock_get_decoder(codec)
    DECODE_CHECK["streams"] += 1
    return CountingVp8Decoder(_stock_get_decoder(codec) if DECODE_CHECK["streams"] == 1 else None)


def install_counting_decoder() -> None:
    if getattr(_rtcrtpreceiver, "get_decoder", None) is not _stock_get_decoder:
        raise RuntimeError("aiortc.rtcrtpreceiver.get_decoder is not what bench.media_clients expects")
    _rtcrtpreceiver.get_decoder = _get_decoder  # type: ignore[attr-defined]


READY_TIMEOUT = 30.0
PLAYOUT_BUFFER = 0.060  # seconds a receiver would buffer audio before a late frame counts as concealed


@dataclass(frozen=True, slots=True)
class AudioStats:
    """In 20 ms slots of a player's output: what it played from received frames and what it had to conceal."""

    received: int  # frames played
    missing: int  # holes in the RTP timestamps: frames never delivered
    stalled: int  # slots the player waited, buffer empty, for a frame that came late
    total: int  # slots the player put out: received + concealed, at least the window's length

    @property
    def concealed(self) -> int:
        return self.total - self.received


def audio_stats(arrivals: list[tuple[float, int]], seconds: float) -> AudioStats:
    """Concealment of one audio stream from (arrival time in s, RTP timestamp at 48 kHz) of each decoded frame.

    A player with a ``PLAYOUT_BUFFER`` buffer plays each frame at its media time plus an offset: the transit time
    (arrival - media time) of the fastest frame so far plus the buffer. A frame arriving after its turn means the player
    concealed until it came (``stalled``) and restarts from that frame with a full buffer. Holes in the timestamps are
    concealed slots too (``missing``); a jump of the timestamps longer than the wall-clock wait (a sender that reset
    its clock) counts only the wait and re-anchors the player. Whatever part of the window the player had nothing at all
    for (before the first frame, after the last; two slots of slack for the window's edges) is concealed as well, so
    concealed / total is like WebRTC's concealedSamples / totalSamplesReceived.
    """
    frame = AUDIO_FRAME / SAMPLE_RATE
    window = max(0, round(seconds / frame) - 2)
    received = missing = 0
    stalled = 0.0
    offset: float | None = None
    previous: tuple[float, int] | None = None
    for at, pts in arrivals:
        if previous is not None:
            step = (pts - previous[1]) // AUDIO_FRAME
            if step <= 0:  # a duplicate or a frame from the past: nothing to play
                continue
            waited = math.ceil((at - previous[0]) / frame)
            if step - 1 > waited + PLAYOUT_BUFFER / frame:
                missing += waited
                offset = None
            else:
                missing += step - 1
        transit = at - pts / SAMPLE_RATE
        if offset is None:
            offset = transit + PLAYOUT_BUFFER
        elif transit > offset:
            stalled += transit - offset
            offset = transit + PLAYOUT_BUFFER
        else:
            offset = min(offset, transit + PLAYOUT_BUFFER)
        received += 1
        previous = (at, pts)
    stalled_slots = round(stalled / frame)
    total = max(window, received + missing + stalled_slots)
    return AudioStats(received, missing, stalled_slots, total)


@dataclass(slots=True)
class ClientReport:
    call: int
    role: str
    connected: bool
    video_frames: int = 0
    fps: float = 0.0
    resolution: str = ""
    audio_received: int = 0
    audio_missing: int = 0
    audio_stalled: int = 0
    audio_concealed: int = 0
    audio_total: int = 0
    audio_packets_lost: int = 0
    packets_sent: int = 0  # RTP, audio and video (RTX and RTCP not included)
    packets_received: int = 0
    error: str = ""


@dataclass(slots=True)
class Client:
    call: int
    role: str
    room: str
    token: str | None
    pc: RTCPeerConnection = field(default_factory=lambda: RTCPeerConnection(RTCConfiguration(iceServers=[])))
    video_frames: int = 0
    sizes: Counter[str] = field(default_factory=Counter)
    audio: list[tuple[float, int]] = field(default_factory=list)
    got_video: asyncio.Event = field(default_factory=asyncio.Event)
    ws: aiohttp.ClientWebSocketResponse | None = None
    rtp_at_start: dict[str, int] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    error: str = ""

    def reset(self) -> None:
        self.video_frames = 0
        self.sizes.clear()
        self.audio.clear()

    async def consume(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if isinstance(frame, EncodedVideoFrame):
                    self.video_frames += 1
                    if frame.size is not None:
                        self.sizes[f"{frame.size[0]}x{frame.size[1]}"] += 1
                    self.got_video.set()
                elif isinstance(frame, av.AudioFrame) and frame.pts is not None:
                    self.audio.append((time.monotonic(), frame.pts))


def _prefer(pc: RTCPeerConnection) -> None:
    """VP8 and Opus only, as the node forces them; the stock relay gets the same."""
    for transceiver in pc.getTransceivers():
        codecs = RTCRtpSender.getCapabilities(transceiver.kind).codecs
        wanted = "video/VP8" if transceiver.kind == "video" else "audio/opus"
        chosen = [c for c in codecs if c.mimeType == wanted]
        if transceiver.kind == "video":
            chosen += [c for c in codecs if c.mimeType == "video/rtx"]
        transceiver.setCodecPreferences(chosen)


async def _events(client: Client, http: aiohttp.ClientSession, base_url: str) -> None:
    """The events WebSocket: the agent admits whoever waits; everyone else just listens."""
    url = f"{base_url}/rooms/{client.room}/events"
    async with http.ws_connect(url, params={"token": client.token or ""}, heartbeat=20) as ws:
        client.ws = ws
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            event = json.loads(message.data)
            if client.role != "agent":
                continue
            waiting: list[str] = []
            if event.get("type") == "waiting":
                waiting.append(str(event["participant_id"]))
            elif event.get("type") == "state":
                waiting += [str(p["participant_id"]) for p in event.get("participants", []) if p["state"] == "waiting"]
            for participant in waiting:
                await ws.send_json({"type": "admit", "participant_id": participant})


async def connect(client: Client, http: aiohttp.ClientSession, base_url: str, mode: str, media: Any) -> None:
    pc = client.pc
    pc.createDataChannel("chat")
    pc.addTrack(ReplayTrack(media, "audio"))
    pc.addTrack(ReplayTrack(media, "video"))
    _prefer(pc)

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        client.tasks.append(asyncio.create_task(client.consume(track)))

    if mode == "node":  # the waiting room's socket, like the SPA's, before the media
        client.tasks.append(asyncio.create_task(_events(client, http, base_url)))
    await pc.setLocalDescription(await pc.createOffer())
    body: dict[str, Any] = {"sdp": pc.localDescription.sdp, "type": "offer"}
    if client.token is not None:
        body["token"] = client.token
    async with http.post(f"{base_url}/rooms/{client.room}/offer", json=body) as response:
        if response.status != 200:
            raise RuntimeError(f"offer answered {response.status}: {(await response.text())[:300]}")
        answer = await response.json()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))


def report(client: Client, seconds: float, rtp: dict[str, int]) -> ClientReport:
    audio = audio_stats(list(client.audio), seconds)
    delta = {key: rtp.get(key, 0) - client.rtp_at_start.get(key, 0) for key in ("sent", "received", "audio_lost")}
    return ClientReport(
        call=client.call,
        role=client.role,
        connected=client.got_video.is_set(),
        video_frames=client.video_frames,
        fps=client.video_frames / seconds if seconds else 0.0,
        resolution=client.sizes.most_common(1)[0][0] if client.sizes else "",
        audio_received=audio.received,
        audio_missing=audio.missing,
        audio_stalled=audio.stalled,
        audio_concealed=audio.concealed,
        audio_total=audio.total,
        audio_packets_lost=delta["audio_lost"],
        packets_sent=delta["sent"],
        packets_received=delta["received"],
        error=client.error,
    )


async def rtp_counts(client: Client) -> dict[str, int]:
    """RTP packets sent and received so far, and audio packets lost, from the peer connection's stats."""
    try:
        stats = await client.pc.getStats()
    except Exception:  # a closed or failed peer has no stats; the frame counts say enough
        return {}
    counts = {"sent": 0, "received": 0, "audio_lost": 0}
    for value in stats.values():
        kind = getattr(value, "type", "")
        if kind == "outbound-rtp":
            counts["sent"] += int(getattr(value, "packetsSent", 0))
        elif kind == "inbound-rtp":
            counts["received"] += int(getattr(value, "packetsReceived", 0))
            if getattr(value, "kind", "") == "audio":
                counts["audio_lost"] += int(getattr(value, "packetsLost", 0))
    return counts


def _send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def run() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    config = json.loads(await reader.readline())
    install_counting_decoder()
    media = load(Path(config["media"]))
    clients = [Client(c["call"], c["role"], c["room"], c.get("token")) for c in config["clients"]]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        base_url, mode = config["base_url"], config["mode"]

        async def start(client: Client) -> None:
            try:
                await connect(client, http, base_url, mode, media)
                await asyncio.wait_for(client.got_video.wait(), READY_TIMEOUT)
            except Exception as error:  # reported per client; the others carry on
                client.error = f"{type(error).__name__}: {error}"[:300]

        await asyncio.gather(*(start(c) for c in clients))
        _send({"event": "ready", "connected": sum(c.got_video.is_set() for c in clients), "errors": _errors(clients)})
        started = time.monotonic()
        while line := await reader.readline():
            command = json.loads(line).get("cmd")
            if command == "measure":
                for client in clients:
                    client.reset()
                    client.rtp_at_start = await rtp_counts(client)
                DECODE_CHECK.update(decoded=0, errors=0)
                started = time.monotonic()
                _send({"event": "measuring"})
            elif command == "report":
                seconds = time.monotonic() - started
                reports = [report(c, seconds, await rtp_counts(c)) for c in clients]
                clients_ = [asdict(r) for r in reports]
                _send({"event": "report", "seconds": seconds, "clients": clients_, "decode_check": DECODE_CHECK})
            elif command == "stop":
                break
        # The agent ends the call, so the node closes the room and its recording as it would after a real call.
        for client in clients:
            if client.role == "agent" and client.ws is not None and not client.ws.closed:
                with contextlib.suppress(Exception):
                    await client.ws.send_json({"type": "end"})
        await asyncio.sleep(0.5)
        for client in clients:
            for task in client.tasks:
                task.cancel()
        await asyncio.gather(*(c.pc.close() for c in clients), return_exceptions=True)
    _send({"event": "stopped"})


def _errors(clients: list[Client]) -> list[str]:
    return [f"call {c.call} {c.role}: {c.error}" for c in clients if c.error]


if __name__ == "__main__":
    asyncio.run(run())
