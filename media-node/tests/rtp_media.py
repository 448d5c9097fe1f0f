"""RTP test media: real VP8 (640x480, 30 fps) and Opus (20 ms) encoded once per process (``media.py``), packetized as a
browser sends them: VP8 per RFC 7741 with a 15-bit picture id, about 1100 bytes of payload per packet, the marker on a
frame's last packet; Opus one packet per frame. Some packets carry a header extension or padding, as real ones do.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import media

WIDTH, HEIGHT = 640, 480
FPS = media.FPS
VIDEO_PT, AUDIO_PT = 96, 111
MAX_PAYLOAD = 1100


@dataclass(frozen=True)
class Rtp:
    kind: str
    data: bytes
    sequence: int
    timestamp: int
    arrival: float  # seconds from the start of the media
    frame: int  # index of the frame it belongs to (per kind)
    keyframe: bool  # of its frame


def encoded_video(seconds: float, gop: int) -> tuple[tuple[bytes, bool], ...]:
    return media.encoded_video(seconds, gop, WIDTH, HEIGHT, bit_rate=1_500_000)


encoded_audio = media.encoded_audio


def rtp_packet(
    pt: int, sequence: int, timestamp: int, ssrc: int, payload: bytes, *, marker: bool, extension: bool, padding: int
) -> bytes:
    b0 = 0x80 | (0x10 if extension else 0) | (0x20 if padding else 0)
    header = struct.pack("!BBHII", b0, (0x80 if marker else 0) | pt, sequence & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc)
    if extension:  # RFC 8285 one-byte header extension: one element (id 1, 3 bytes) in one word
        header += struct.pack("!HH", 0xBEDE, 1) + bytes([0x12, 1, 2, 3])
    tail = bytes(padding - 1) + bytes([padding]) if padding else b""
    return header + payload + tail


def video_rtp(
    seconds: float = 3.0, gop: int = FPS, *, ssrc: int = 0x1111, seq0: int = 1000, ts0: int = 5000, start: float = 0.0
) -> list[Rtp]:
    out: list[Rtp] = []
    sequence = seq0
    for n, (data, keyframe) in enumerate(encoded_video(seconds, gop)):
        picture_id = (n + 300) & 0x7FFF
        chunks = [data[i : i + MAX_PAYLOAD] for i in range(0, len(data), MAX_PAYLOAD)]
        timestamp = ts0 + n * 3000
        for j, chunk in enumerate(chunks):
            descriptor = bytes([0x90 if j == 0 else 0x80, 0x80, 0x80 | picture_id >> 8, picture_id & 0xFF])
            packet = rtp_packet(
                VIDEO_PT,
                sequence,
                timestamp,
                ssrc,
                descriptor + chunk,
                marker=j == len(chunks) - 1,
                extension=sequence % 2 == 0,
                padding=4 if sequence % 7 == 0 else 0,
            )
            out.append(Rtp("video", packet, sequence & 0xFFFF, timestamp, start + n / FPS + j * 0.0005, n, keyframe))
            sequence += 1
    return out


def audio_rtp(
    seconds: float = 3.0, *, ssrc: int = 0x2222, seq0: int = 7000, ts0: int = 9000, start: float = 0.0
) -> list[Rtp]:
    out: list[Rtp] = []
    for n, data in enumerate(encoded_audio(seconds)):
        sequence = seq0 + n
        timestamp = ts0 + n * 960
        packet = rtp_packet(
            AUDIO_PT, sequence, timestamp, ssrc, data, marker=n == 0, extension=True, padding=2 if n % 5 == 0 else 0
        )
        out.append(Rtp("audio", packet, sequence & 0xFFFF, timestamp, start + n * 0.02, n, True))
    return out


def call_rtp(seconds: float = 3.0, gop: int = FPS, *, video: bool = True, **kwargs: float) -> list[Rtp]:
    """Audio and video of one participant, in arrival order."""
    start = float(kwargs.get("start", 0.0))
    packets = audio_rtp(seconds, start=start) + (video_rtp(seconds, gop, start=start) if video else [])
    return sorted(packets, key=lambda p: p.arrival)


def decode_counts(path: Path) -> dict[str, Any]:
    """Decoded frames per kind, decode errors, and whether the first video packet is a keyframe."""
    counts: dict[str, Any] = {"video": 0, "audio": 0, "errors": 0, "first_video_keyframe": None}
    with av.open(str(path)) as container:
        for packet in container.demux():
            kind = packet.stream.type
            if kind == "video" and counts["first_video_keyframe"] is None and packet.size:
                counts["first_video_keyframe"] = bool(packet.is_keyframe)
            try:
                counts[kind] += len(packet.decode())
            except av.FFmpegError:
                counts["errors"] += 1
    return counts
