"""Encoded test media (PyAV, once per process): VP8 and Opus packets shaped like the pass-through receiver's output,
and the encoded frames ``rtp_media.py`` packetizes.

pts are RTP timestamps from 0 (90 kHz video, 48 kHz audio), time_base 1/clock rate, keyframe flag set.
"""

from __future__ import annotations

import fractions
import functools
import math
import struct
from typing import Any

import av

WIDTH, HEIGHT = 320, 240
FPS = 30


@functools.cache
def encoded_video(
    seconds: float, gop: int, width: int = WIDTH, height: int = HEIGHT, bit_rate: int = 300_000
) -> tuple[tuple[bytes, bool], ...]:
    """VP8 frames (data, keyframe) of a moving pattern, one per input frame, a keyframe every ``gop``."""
    video = av.CodecContext.create("libvpx", "w")
    video.width, video.height, video.pix_fmt = width, height, "yuv420p"
    video.time_base = fractions.Fraction(1, 90000)
    video.bit_rate = bit_rate
    video.gop_size = gop
    video.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0", "keyint_min": str(gop)}
    row = bytes(range(256)) * (width // 256 + 2)
    out: list[tuple[bytes, bool]] = []
    for n in range(int(seconds * FPS)):
        frame = av.VideoFrame(width, height, "yuv420p")
        shift = (n * 4) % 256
        frame.planes[0].update(row[shift : shift + width] * height)
        for plane in frame.planes[1:]:
            plane.update(bytes([100 + n % 50]) * plane.buffer_size)
        frame.pts = n * 3000
        frame.time_base = fractions.Fraction(1, 90000)
        out.extend((bytes(p), bool(p.is_keyframe)) for p in video.encode(frame))
    out.extend((bytes(p), bool(p.is_keyframe)) for p in video.encode(None))
    return tuple(out)


@functools.cache
def encoded_audio(seconds: float) -> tuple[bytes, ...]:
    """Opus packets of a 440 Hz tone, 20 ms each."""
    audio = av.CodecContext.create("libopus", "w")
    audio.sample_rate, audio.layout, audio.format = 48000, "stereo", "s16"
    audio.bit_rate = 32_000
    audio.time_base = fractions.Fraction(1, 48000)
    pcm = b"".join(
        struct.pack("<hh", s, s) for s in (int(6000 * math.sin(2 * math.pi * 440 * k / 48000)) for k in range(960))
    )
    out: list[bytes] = []
    for n in range(int(seconds * 50)):
        aframe = av.AudioFrame(format="s16", layout="stereo", samples=960)
        aframe.planes[0].update(pcm)
        aframe.sample_rate = 48000
        aframe.pts = n * 960
        aframe.time_base = fractions.Fraction(1, 48000)
        out.extend(bytes(packet) for packet in audio.encode(aframe))
    return tuple(out)


def _encoded(seconds: float, gop: int) -> list[tuple[str, bytes, int, bool]]:
    out = [("video", data, n * 3000, key) for n, (data, key) in enumerate(encoded_video(seconds, gop))]
    out += [("audio", data, n * 960, True) for n, data in enumerate(encoded_audio(seconds))]
    out.sort(key=lambda item: item[2] / (90000 if item[0] == "video" else 48000))
    return out


def packets(seconds: float = 3.0, gop: int = FPS) -> list[tuple[str, Any]]:
    """(kind, av.Packet) in presentation order, fresh packets on every call."""
    result: list[tuple[str, Any]] = []
    for kind, data, pts, keyframe in _encoded(seconds, gop):
        packet = av.Packet(data)
        packet.pts = packet.dts = pts
        packet.time_base = fractions.Fraction(1, 90000 if kind == "video" else 48000)
        packet.is_keyframe = keyframe
        result.append((kind, packet))
    return result


def clock(kind: str) -> int:
    return 90000 if kind == "video" else 48000
