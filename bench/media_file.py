"""The media the load clients send: generated once per run, then replayed encoded (never re-encoded).

``generate`` encodes about 20 s of 640x480 VP8 at 30 fps (moving bars, a moving box and a frame counter, so every frame
differs and inter frames carry real motion) and 48 kHz stereo Opus (a gliding tone with a little noise) into a WebM.
``load`` reads its packets into memory; the RTP-level clients (``bench/rtp_clients.py``) packetise them once and send
them at their pace, looping with timestamps that keep increasing.
"""

from __future__ import annotations

import fractions
import math
import random
from dataclasses import dataclass
from pathlib import Path

import av

WIDTH = 640
HEIGHT = 480
FPS = 30
SAMPLE_RATE = 48000
AUDIO_FRAME = 960  # 20 ms, what WebRTC peers packetise Opus in
VIDEO_BITRATE = 1_000_000
KEYFRAME_INTERVAL = FPS  # one a second: a pre-encoded stream cannot answer a keyframe request
VIDEO_CLOCK = 90000
AUDIO_CLOCK = 48000


@dataclass(frozen=True, slots=True)
class EncodedPacket:
    seconds: float  # presentation time from the start of the file
    data: bytes
    keyframe: bool


@dataclass(frozen=True, slots=True)
class EncodedMedia:
    video: tuple[EncodedPacket, ...]
    audio: tuple[EncodedPacket, ...]
    duration: float  # one loop, seconds
    width: int
    height: int


def _luma(index: int) -> bytes:
    """Y plane of frame ``index``: vertical bars scrolling right, a bright box moving on a circle, a counter."""
    shift = (index * 6) % WIDTH
    row = bytes(((((x - shift) % WIDTH) // 40) % 2) * 120 + 40 + ((x + index) % 64) for x in range(WIDTH))
    plane = bytearray(row * HEIGHT)
    cx = int(WIDTH / 2 + 200 * math.cos(index / 20) - 50)
    cy = int(HEIGHT / 2 + 150 * math.sin(index / 20) - 50)
    box = bytes(235 - (i % 20) for i in range(100))
    for y in range(max(0, cy), min(HEIGHT, cy + 100)):
        start = y * WIDTH + max(0, cx)
        end = y * WIDTH + min(WIDTH, cx + 100)
        plane[start:end] = box[: end - start]
    for bit in range(12):  # frame counter, 12 blocks of 16x16 along the top
        value = 255 if index >> bit & 1 else 0
        for y in range(8, 24):
            plane[y * WIDTH + 8 + bit * 20 : y * WIDTH + 24 + bit * 20] = bytes([value]) * 16
    return bytes(plane)


def _chroma(index: int) -> tuple[bytes, bytes]:
    half = WIDTH // 2
    u_row = bytes(128 + int(60 * math.sin((x + index * 3) / 25)) for x in range(half))
    v_row = bytes(128 + int(60 * math.cos((x - index * 2) / 30)) for x in range(half))
    return u_row * (HEIGHT // 2), v_row * (HEIGHT // 2)


def _video_frame(index: int) -> av.VideoFrame:
    frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
    u, v = _chroma(index)
    for plane, data in zip(frame.planes, (_luma(index), u, v), strict=True):
        if plane.line_size == plane.width:
            plane.update(data)
        else:  # padded lines
            stride = plane.line_size
            padded = bytearray(stride * plane.height)
            for y in range(plane.height):
                padded[y * stride : y * stride + plane.width] = data[y * plane.width : (y + 1) * plane.width]
            plane.update(bytes(padded))
    frame.pts = index
    frame.time_base = fractions.Fraction(1, FPS)
    return frame


AUDIO_PATTERN_FRAMES = 100  # 2 s of tone and noise, repeated


def _audio_pattern() -> list[bytes]:
    """2 s of 48 kHz stereo s16: a tone gliding 330-550 Hz (phase-continuous over the 2 s loop) with a little noise."""
    noise = random.Random(5)  # noqa: S311 - test signal, not a secret
    frames = []
    phase = 0.0
    for index in range(AUDIO_PATTERN_FRAMES):
        samples = bytearray()
        for n in range(AUDIO_FRAME):
            t = (index * AUDIO_FRAME + n) / SAMPLE_RATE
            phase += 2 * math.pi * (440 + 110 * math.sin(math.pi * t)) / SAMPLE_RATE
            value = int(32767 * (0.3 * math.sin(phase) + noise.uniform(-0.05, 0.05)))
            sample = value.to_bytes(2, "little", signed=True)
            samples += sample + sample  # stereo, interleaved
        frames.append(bytes(samples))
    return frames


def _audio_frame(index: int, pattern: list[bytes]) -> av.AudioFrame:
    frame = av.AudioFrame(format="s16", layout="stereo", samples=AUDIO_FRAME)
    frame.planes[0].update(pattern[index % len(pattern)])
    frame.sample_rate = SAMPLE_RATE
    frame.pts = index * AUDIO_FRAME
    frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
    return frame


def generate(path: Path, seconds: float = 20.0) -> Path:
    """Encode the benchmark's media into ``path`` (WebM: VP8 + Opus)."""
    with av.open(str(path), "w", format="webm") as container:
        # Realtime and fastest: the options must go to add_stream (set later on the codec context they are ignored).
        options = {"deadline": "realtime", "cpu-used": "16", "lag-in-frames": "0"}
        video = container.add_stream("libvpx", rate=FPS, options=options)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.bit_rate = VIDEO_BITRATE
        video.gop_size = KEYFRAME_INTERVAL
        audio = container.add_stream("libopus", rate=SAMPLE_RATE)
        audio.layout = "stereo"
        audio.bit_rate = 48000
        pattern = _audio_pattern()
        for index in range(round(seconds * FPS)):
            container.mux(video.encode(_video_frame(index)))
        for index in range(round(seconds * SAMPLE_RATE / AUDIO_FRAME)):
            container.mux(audio.encode(_audio_frame(index, pattern)))
        container.mux(video.encode(None))
        container.mux(audio.encode(None))
    return path


def load(path: Path) -> EncodedMedia:
    """Every packet of the file, in memory, with its time in seconds."""
    video: list[EncodedPacket] = []
    audio: list[EncodedPacket] = []
    with av.open(str(path)) as container:
        stream_v = container.streams.video[0]
        width, height = stream_v.codec_context.width, stream_v.codec_context.height
        for packet in container.demux():
            if packet.size == 0 or packet.pts is None or packet.time_base is None:
                continue
            item = EncodedPacket(float(packet.pts * packet.time_base), bytes(packet), packet.is_keyframe)
            (video if packet.stream.type == "video" else audio).append(item)
    if not video or not audio:
        raise RuntimeError(f"{path} lacks audio or video packets")
    # WebM keeps milliseconds; every packet is one frame (1/30 s) or 20 ms of audio, so exact times come from the order.
    video.sort(key=lambda p: p.seconds)
    audio.sort(key=lambda p: p.seconds)
    video = [EncodedPacket(i / FPS, p.data, p.keyframe) for i, p in enumerate(video)]
    audio = [EncodedPacket(i * AUDIO_FRAME / SAMPLE_RATE, p.data, p.keyframe) for i, p in enumerate(audio)]
    duration = max(len(video) / FPS, len(audio) * AUDIO_FRAME / SAMPLE_RATE)
    return EncodedMedia(tuple(video), tuple(audio), duration, width, height)
