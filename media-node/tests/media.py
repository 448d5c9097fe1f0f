"""Encoded test media (PyAV, once per process): VP8 and Opus packets shaped like the pass-through receiver's output.

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
def _encoded(seconds: float, gop: int) -> tuple[tuple[tuple[str, bytes, int, bool], ...], ...]:
    video = av.CodecContext.create("libvpx", "w")
    video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    video.time_base = fractions.Fraction(1, 90000)
    video.bit_rate = 300_000
    video.gop_size = gop
    video.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    out: list[tuple[str, bytes, int, bool]] = []
    for n in range(int(seconds * FPS)):
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        frame.planes[0].update(bytes((x + n * 4) % 256 for x in range(WIDTH)) * HEIGHT)
        for plane in frame.planes[1:]:
            plane.update(bytes([100 + n % 50]) * plane.buffer_size)
        frame.pts = n * 3000
        frame.time_base = fractions.Fraction(1, 90000)
        out.extend(("video", bytes(p), n * 3000, p.is_keyframe) for p in video.encode(frame))
    audio = av.CodecContext.create("libopus", "w")
    audio.sample_rate, audio.layout, audio.format = 48000, "stereo", "s16"
    audio.bit_rate = 32_000
    audio.time_base = fractions.Fraction(1, 48000)
    pcm = b"".join(
        struct.pack("<hh", s, s) for s in (int(6000 * math.sin(2 * math.pi * 440 * k / 48000)) for k in range(960))
    )
    count = 0
    for n in range(int(seconds * 50)):
        aframe = av.AudioFrame(format="s16", layout="stereo", samples=960)
        aframe.planes[0].update(pcm)
        aframe.sample_rate = 48000
        aframe.pts = n * 960
        aframe.time_base = fractions.Fraction(1, 48000)
        for packet in audio.encode(aframe):
            out.append(("audio", bytes(packet), count * 960, True))
            count += 1
    out.sort(key=lambda item: item[2] / (90000 if item[0] == "video" else 48000))
    return (tuple(out),)


def packets(seconds: float = 3.0, gop: int = FPS) -> list[tuple[str, Any]]:
    """(kind, av.Packet) in presentation order, fresh packets on every call."""
    result: list[tuple[str, Any]] = []
    for kind, data, pts, keyframe in _encoded(seconds, gop)[0]:
        packet = av.Packet(data)
        packet.pts = packet.dts = pts
        packet.time_base = fractions.Fraction(1, 90000 if kind == "video" else 48000)
        packet.is_keyframe = keyframe
        result.append((kind, packet))
    return result


def clock(kind: str) -> int:
    return 90000 if kind == "video" else 48000
