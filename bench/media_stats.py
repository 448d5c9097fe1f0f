"""What the media benchmark's load clients report and how they count it: shared by ``bench/rtp_clients.py`` (the
clients) and ``bench/media.py`` (the tables).

Audio concealment: aiortc's receiver stats have no concealment counter, so ``audio_stats`` derives it from each audio
frame's arrival time and RTP timestamp, as a player with a 60 ms buffer would have concealed (frames that never came,
waits for late ones).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.media_file import AUDIO_FRAME, SAMPLE_RATE


def vp8_keyframe_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 keyframe's header (RFC 6386 9.1); None for an inter frame or garbage."""
    if len(data) < 10 or data[0] & 0x01 or data[3:6] != b"\x9d\x01\x2a":
        return None
    return int.from_bytes(data[6:8], "little") & 0x3FFF, int.from_bytes(data[8:10], "little") & 0x3FFF


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
