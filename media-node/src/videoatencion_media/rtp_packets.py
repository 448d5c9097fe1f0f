"""RTP packets as the RTP path records them: the RTP header (RFC 3550), the VP8 payload descriptor (RFC 7741), VP8
keyframe headers (RFC 6386). Opus needs nothing: one RTP packet carries one Opus packet (RFC 7587).

No aiortc here: the remux worker process (``remux.py``) imports this module and PyAV only, so it stays small.
"""

from __future__ import annotations

import struct
from typing import Final, NamedTuple

RTP_VERSION: Final = 2
_FIXED: Final = struct.Struct("!BBHII")


class RtpHeader(NamedTuple):
    """What the remux needs of an RTP packet: the payload is ``packet[start:end]`` (extensions and padding skipped)."""

    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    start: int
    end: int


def parse_rtp(packet: bytes) -> RtpHeader | None:
    """The header of an RTP packet, None for anything that is not one (too short, wrong version, bad lengths)."""
    if len(packet) < _FIXED.size:
        return None
    b0, b1, sequence, timestamp, ssrc = _FIXED.unpack_from(packet)
    if b0 >> 6 != RTP_VERSION:
        return None
    start = _FIXED.size + (b0 & 0x0F) * 4
    if b0 & 0x10:  # header extension: 16-bit profile, 16-bit length in 32-bit words
        if len(packet) < start + 4:
            return None
        start += 4 + int.from_bytes(packet[start + 2 : start + 4], "big") * 4
    end = len(packet)
    if b0 & 0x20 and end > start:  # padding: the last byte counts the padding bytes
        end -= packet[-1]
    if end < start:
        return None
    return RtpHeader(bool(b1 & 0x80), sequence, timestamp, ssrc, start, end)


def vp8_descriptor_size(packet: bytes, start: int) -> int:
    """Bytes of the VP8 payload descriptor at ``packet[start:]`` (RFC 7741 4.2). IndexError if it is cut short."""
    first = packet[start]
    if not first & 0x80:  # X: no extension byte
        return 1
    extension = packet[start + 1]
    size = 2
    if extension & 0x80:  # I: picture id, 7 or 15 bits (M)
        size += 2 if packet[start + size] & 0x80 else 1
    if extension & 0x40:  # L: TL0PICIDX
        size += 1
    if extension & 0x30:  # T or K: TID/Y/KEYIDX
        size += 1
    return size


def vp8_starts_frame(packet: bytes, start: int) -> bool:
    """The descriptor's S bit is set and its partition id is 0: this packet holds the first bytes of a frame."""
    return packet[start] & 0x1F == 0x10


def vp8_keyframe_start(packet: bytes) -> bool:
    """This RTP packet starts a VP8 keyframe: descriptor S=1, partition 0, then the payload header's P bit 0.

    Called for every video packet on the event loop (the RTP recorder's record flag), so it reads only the bytes it
    needs and looks at the payload header only when the descriptor says S=1.
    """
    try:
        b0 = packet[0]
        start = 12 + (b0 & 0x0F) * 4
        if b0 & 0x10:
            start += 4 + ((packet[start + 2] << 8) | packet[start + 3]) * 4
        if packet[start] & 0x1F != 0x10:
            return False
        return not packet[start + vp8_descriptor_size(packet, start)] & 0x01
    except IndexError:
        return False


def is_vp8_keyframe(data: bytes) -> bool:
    """A VP8 frame is a keyframe when bit 0 (P, inverse keyframe flag) of its payload header is 0 (RFC 7741 4.3)."""
    return len(data) >= 3 and not data[0] & 0x01


def vp8_frame_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 keyframe's header (RFC 6386 9.1), None for anything else."""
    if not is_vp8_keyframe(data) or len(data) < 10 or data[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    height = int.from_bytes(data[8:10], "little") & 0x3FFF
    return width, height
