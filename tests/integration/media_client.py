"""A call participant made of aiortc, speaking the media node's protocol (API.md) like the SPA does.

It sends synthetic video (moving 320x240 frames) and a tone, counts what it receives, keeps the events WebSocket's
messages, and can chat over the "chat" data channel. The client encodes and decodes (that is a client's job); the
node in between must only forward.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import fractions
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCDataChannel,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import VideoStreamTrack

WIDTH, HEIGHT = 320, 240


class MovingVideo(VideoStreamTrack):
    """A bar sweeping across a grey frame, so every frame differs and the encoder sends real data."""

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        x = (pts // 3000) % WIDTH
        row = bytearray([96]) * WIDTH
        row[max(0, x - 8) : x + 8] = bytes([230]) * len(row[max(0, x - 8) : x + 8])
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        luma, *chroma = frame.planes
        luma.update(bytes(row) * HEIGHT if luma.line_size == WIDTH else _padded(row, luma.line_size, HEIGHT))
        for plane in chroma:
            plane.update(bytes([128]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, time_base
        return frame


def _padded(row: bytearray, line_size: int, lines: int) -> bytes:
    return (bytes(row) + bytes(line_size - len(row))) * lines


class Tone(MediaStreamTrack):
    """A 440 Hz tone, 20 ms frames at 48 kHz mono, paced in real time."""

    kind = "audio"
    RATE = 48000
    SAMPLES = 960

    def __init__(self) -> None:
        super().__init__()
        self._sent = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.time()
        else:
            await asyncio.sleep(self._start + self._sent / self.RATE - time.time())
        samples = array.array(
            "h", (int(8000 * math.sin(2 * math.pi * 440 * (n + self._sent) / self.RATE)) for n in range(self.SAMPLES))
        )
        frame = av.AudioFrame(format="s16", layout="mono", samples=self.SAMPLES)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = self.RATE
        frame.pts, frame.time_base = self._sent, fractions.Fraction(1, self.RATE)
        self._sent += self.SAMPLES
        return frame


@dataclass
class Received:
    video_frames: int = 0
    audio_frames: int = 0
    sizes: set[tuple[int, int]] = field(default_factory=set)


class Participant:
    def __init__(self, name: str, join: dict[str, Any]) -> None:
        self.name = name
        self.join = join
        self.received = Received()
        self.events: list[dict[str, Any]] = []
        self.chat_in: list[dict[str, Any]] = []
        self.pc: RTCPeerConnection | None = None
        self.channel: RTCDataChannel | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def participant_id(self) -> str:
        return str(self.join["participant_id"])

    async def connect(self, join: dict[str, Any] | None = None) -> None:
        """(Re)connect the media with a NEW peer connection, as after a network change."""
        if join is not None:
            self.join = join
        if self.pc is not None:
            await self.pc.close()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc = pc
        pc.addTrack(Tone())
        pc.addTrack(MovingVideo())
        self.channel = pc.createDataChannel("chat")
        self.channel.on("message", self._on_chat)
        pc.on("track", self._on_track)
        await pc.setLocalDescription(await pc.createOffer())
        session = await self._http()
        url = f"{self.join['media_url']}/rooms/{self.join['room_id']}/offer"
        offer = {"sdp": pc.localDescription.sdp, "type": "offer", "token": self.join["join_token"]}
        async with session.post(url, json=offer) as response:
            answer = await response.json()
            if response.status != 200:
                raise AssertionError(f"{self.name}: offer refused {response.status} {answer}")
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))

    async def open_events(self) -> None:
        session = await self._http()
        base = str(self.join["media_url"]).replace("http", "ws", 1)
        url = f"{base}/rooms/{self.join['room_id']}/events"
        self._ws = await session.ws_connect(url, params={"token": self.join["join_token"]})
        self._tasks.append(asyncio.create_task(self._read_events(self._ws)))

    async def send_event(self, message: dict[str, Any]) -> None:
        assert self._ws is not None
        await self._ws.send_json(message)

    def chat(self, text: str) -> None:
        assert self.channel is not None
        self.channel.send(json.dumps({"type": "chat", "text": text}))

    async def wait_event(self, kind: str, timeout: float = 15, **match: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.events:
                if message.get("type") == kind and all(message.get(k) == v for k, v in match.items()):
                    return message
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.name}: no {kind} {match} within {timeout} s; got {self.events}")

    async def wait_frames(self, video: int, audio: int, timeout: float = 20) -> None:
        start_video, start_audio = self.received.video_frames, self.received.audio_frames
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got_video = self.received.video_frames - start_video
            got_audio = self.received.audio_frames - start_audio
            if got_video >= video and got_audio >= audio:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"{self.name}: received {self.received.video_frames - start_video} video and "
            f"{self.received.audio_frames - start_audio} audio frames in {timeout} s (wanted {video}/{audio})"
        )

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._ws is not None:
            await self._ws.close()
        if self.pc is not None:
            await self.pc.close()
        if self._session is not None:
            await self._session.close()

    # --- internals ----------------------------------------------------------------------------------------------
    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        return self._session

    def _on_chat(self, raw: object) -> None:
        with contextlib.suppress(ValueError, TypeError):
            self.chat_in.append(json.loads(str(raw)))

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._tasks.append(asyncio.create_task(self._consume(track)))

    async def _consume(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(Exception):
            while True:
                frame = await track.recv()
                if isinstance(frame, av.VideoFrame):
                    self.received.video_frames += 1
                    self.received.sizes.add((frame.width, frame.height))
                else:
                    self.received.audio_frames += 1

    async def _read_events(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.events.append(json.loads(message.data))
