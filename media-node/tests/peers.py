"""Test helpers: aiortc client peers in the test process that talk to a RoomMedia, with test media and loss.

The clients encode (aiortc's own VP8/Opus encoders) and decode what they receive; only the node must not.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import random
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import (
    RTCConfiguration,
    RTCDataChannel,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack, VideoStreamTrack

from videoatencion_media import passthrough

WIDTH, HEIGHT = 320, 240
AUDIO_RATE = 48000
AUDIO_SAMPLES = 960


class ToneTrack(MediaStreamTrack):
    """A 440 Hz tone, 20 ms frames, paced in real time."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._start: float | None = None
        self._pts = 0
        samples = (int(6000 * math.sin(2 * math.pi * 440 * k / AUDIO_RATE)) for k in range(AUDIO_SAMPLES))
        self._pcm = b"".join(struct.pack("<h", s) for s in samples)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            self._pts += AUDIO_SAMPLES
            await asyncio.sleep(max(0.0, self._start + self._pts / AUDIO_RATE - time.time()))
        frame = av.AudioFrame(format="s16", layout="mono", samples=AUDIO_SAMPLES)
        frame.planes[0].update(self._pcm)
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame


class PatternTrack(VideoStreamTrack):
    """Small moving-gradient frames at 30 fps (cheap for the client's encoder)."""

    def __init__(self) -> None:
        super().__init__()
        self._n = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        shift = (self._n * 4) % 256
        row = bytes((x + shift) % 256 for x in range(WIDTH))
        frame.planes[0].update(row * HEIGHT)
        for plane in frame.planes[1:]:
            plane.update(bytes([128 + (self._n % 32)]) * plane.buffer_size)
        self._n += 1
        frame.pts = pts
        frame.time_base = time_base
        return frame


def make_lossy(pc: RTCPeerConnection, rate: float, seed: int) -> dict[str, int]:
    """Drop a seeded fraction of the RTP datagrams this peer sends (RTCP passes). Returns live counters."""
    rng = random.Random(seed)  # noqa: S311 (deterministic test loss)
    counters = {"sent": 0, "dropped": 0}
    transports = {t.sender.transport for t in pc.getTransceivers()}
    for transport in transports:
        original = transport._send_rtp

        async def send(data: bytes, original: Callable[[bytes], Awaitable[None]] = original) -> None:
            is_rtcp = len(data) > 1 and 192 <= data[1] <= 223
            if not is_rtcp:
                counters["sent"] += 1
                if rng.random() < rate:
                    counters["dropped"] += 1
                    return
            await original(data)

        transport._send_rtp = send  # type: ignore[method-assign]
    return counters


@dataclass
class Received:
    frames: int = 0
    decoded_after: list[float] = field(default_factory=list)
    pts: list[int] = field(default_factory=list)
    sizes: set[tuple[int, int]] = field(default_factory=set)


class Client:
    """A participant: sends a tone and a pattern, records what it receives (decoded by aiortc, client side)."""

    def __init__(self, *, send_audio: bool = True, send_video: bool = True, video_codec: str = "VP8") -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.received: dict[str, Received] = {"audio": Received(), "video": Received()}
        self.messages: list[dict[str, Any]] = []
        self.audio = ToneTrack() if send_audio else None
        self.video = PatternTrack() if send_video else None
        self.senders: dict[str, RTCRtpSender] = {}
        self.receivers: dict[str, RTCRtpReceiver] = {}
        self._tasks: list[asyncio.Task[None]] = []
        for kind, track in (("audio", self.audio), ("video", self.video)):
            transceiver = self.pc.addTransceiver(track or kind, direction="sendrecv" if track else "recvonly")
            if kind == "video" and video_codec != "VP8":
                caps = RTCRtpSender.getCapabilities("video").codecs
                transceiver.setCodecPreferences([c for c in caps if c.mimeType == f"video/{video_codec}"])
            self.senders[kind] = transceiver.sender
            self.receivers[kind] = transceiver.receiver
            if kind == "audio":
                # As a browser's NetEq: a lost audio packet is concealed alone. aiortc's stock audio buffer (capacity
                # 16, prefetch 4) stalls on a gap in the sequence numbers and drops the next 16, which the RTP path
                # passes on as they are (the receiver's loss figures and the sender's Opus FEC depend on them).
                setattr(transceiver.receiver, passthrough.JITTER_BUFFER_ATTRIBUTE, passthrough.AudioJitterBuffer())
        self.channel: RTCDataChannel = self.pc.createDataChannel("chat")

        @self.channel.on("message")
        def on_message(message: str | bytes) -> None:
            import json

            self.messages.append(json.loads(message))

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._tasks.append(asyncio.ensure_future(self._consume(track)))

    async def _consume(self, track: MediaStreamTrack) -> None:
        received = self.received[track.kind]
        try:
            while True:
                frame = await track.recv()
                received.frames += 1
                received.decoded_after.append(time.monotonic())
                if frame.pts is not None:
                    received.pts.append(frame.pts)
                if isinstance(frame, av.VideoFrame):
                    received.sizes.add((frame.width, frame.height))
        except MediaStreamError:
            pass

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        assert self.pc.localDescription is not None
        return self.pc.localDescription.sdp

    async def accept(self, answer_sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.pc.close()


async def join(media: Any, pid: str, client: Client) -> None:
    answer = await media.connect(pid, await client.offer())
    await client.accept(answer)


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)
