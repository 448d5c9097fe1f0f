"""RTP-level load clients of the media benchmark: aiortc for ICE, DTLS and SDP, the media sent and read as raw RTP.

Clients that replay packets through aiortc's own sender and receiver (its packetiser, jitter buffer, RTCP loops,
decoder threads) cost more than the node they load on a 2-core machine. These clients take the media path below
aiortc with the node's own hooks (``videoatencion_media.passthrough``):

- each client is an ``RTCPeerConnection`` with an audio and a video ``sendrecv`` transceiver and the ``chat`` data
  channel, offered to the node over HTTP with the events WebSocket open (the agent admits the citizen), like the SPA;
- ``take_over_sender`` / ``take_over_receiver`` on each transceiver, right after ``addTransceiver``: aiortc starts no
  sender or receiver loop and hands over the negotiated payload types, SSRCs and header extension ids instead;
- ``RtpTransport(pc, on_rtp, on_rtcp)`` once the answer is set: SRTP/SRTCP protected and unprotected by the DTLS
  transport's libsrtp sessions, sent on the nominated ICE pair.

Sending: the benchmark's media (``bench/media_file.py``: 640x480@30 VP8 ~1 Mbps, 20 ms Opus) is packetised ONCE per
process (VP8 per RFC 7741, at most ``MAX_PAYLOAD`` bytes of RTP payload, the 4-byte descriptor with a 15-bit picture id
written per frame), then paced like a browser: a video frame's packets at its 33 ms tick, audio every 20 ms, each
stream with its own SSRC, sequence numbers and timestamps that go on across loops of the file, the mid and
abs-send-time header extensions when negotiated. One asyncio task per process (:class:`Pacer`) ticks every ``TICK``
seconds and sends whatever is due for all its clients. The last ``SEND_CACHE`` video packets are kept: a NACK from the
node is answered with RTX when the node negotiated it for us (RTX payload type and SSRC, original sequence number
first), else with the cached protected bytes (libsrtp will not protect the same index twice); a PLI or FIR makes the
stream jump to the file's next keyframe.

Receiving: complete VP8 frames (every packet of a timestamp from the frame start to the marker bit), keyframes and
their size, Opus packets with their arrival times (concealment as ``media_stats.audio_stats``), losses from sequence
numbers. Missing video packets are NACKed after ``REORDER_WAIT``, up to ``NACK_RETRIES`` times ``NACK_INTERVAL``
apart; a frame still incomplete after ``PLI_AFTER`` is given up and a PLI sent; a receiver report (with a sender report
for our streams) goes out about every second.

Loss injection (``loss`` in the config, seeded): each client drops RTP with that probability just before sending
(retransmissions included; a dropped packet is not protected, so a retransmission without RTX protects it then) and
on arrival, before SRTP (:class:`ArrivalLoss`). RTCP is never dropped.

Protocol on stdin/stdout, one JSON object per line: first line ``{"base_url", "media",
"clients": [{"call", "role", "room", "token", "source"}], "loss", "seed"}`` (``source``: the loopback address the
client's HTTP and WebSocket come from, so that many clients stay under the node's per-address flood limits); then
``ready``; ``measure`` → ``measuring``; ``report`` → ``{"event": "report", "seconds", "clients": [RtpClientReport...],
"pacing": {...}}``; ``stop`` → ``stopped``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import struct
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from bench.media_file import AUDIO_CLOCK, AUDIO_FRAME, FPS, VIDEO_CLOCK, EncodedMedia, load
from bench.media_stats import ClientReport, audio_stats, vp8_keyframe_size
from videoatencion_media import passthrough

MAX_PAYLOAD: Final = 1100  # bytes of RTP payload per video packet, descriptor included
VP8_DESCRIPTOR: Final = 4  # X=1, I=1 with a 15-bit picture id
TICK: Final = 0.005  # the pacer's period
SEND_CACHE: Final = 1024  # video packets kept for retransmission
REORDER_WAIT: Final = 0.015  # a hole this old is a loss, not reordering
NACK_INTERVAL: Final = 0.040
NACK_RETRIES: Final = 3
PLI_AFTER: Final = 0.5  # an incomplete frame this old is given up
RTCP_INTERVAL: Final = 1.0
MAX_BEHIND: Final = 0.5  # a stream this far behind its schedule skips ahead instead of bursting
READY_TIMEOUT: Final = 30.0
MAX_MISSING: Final = 1000  # holes tracked per stream

MID_URI: Final = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS_SEND_TIME_URI: Final = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

RTP_HEADER: Final = struct.Struct("!BBHII")
NTP_EPOCH_OFFSET: Final = 2_208_988_800  # 1900 → 1970

RTCP_SR: Final = 200
RTCP_RR: Final = 201
RTCP_RTPFB: Final = 205
RTCP_PSFB: Final = 206
RTPFB_NACK: Final = 1
PSFB_PLI: Final = 1
PSFB_FIR: Final = 4


# ---- VP8 payload (RFC 7741) ----


def vp8_chunks(frame: bytes, max_payload: int = MAX_PAYLOAD) -> tuple[bytes, ...]:
    """A frame split into as few near-equal chunks as fit ``max_payload`` with the descriptor (as libwebrtc does)."""
    room = max_payload - VP8_DESCRIPTOR
    count = max(1, math.ceil(len(frame) / room))
    size, extra = divmod(len(frame), count)
    chunks = []
    offset = 0
    for index in range(count):
        end = offset + size + (1 if index < extra else 0)
        chunks.append(frame[offset:end])
        offset = end
    return tuple(chunks)


def vp8_descriptor(start: bool, picture_id: int) -> bytes:
    """X=1, S on a frame's first packet, partition 0; I=1 with M=1 and the 15-bit picture id."""
    picture_id &= 0x7FFF
    return bytes((0x90 if start else 0x80, 0x80, 0x80 | picture_id >> 8, picture_id & 0xFF))


def vp8_packetize(frame: bytes, picture_id: int, max_payload: int = MAX_PAYLOAD) -> list[bytes]:
    chunks = vp8_chunks(frame, max_payload)
    return [vp8_descriptor(index == 0, picture_id) + chunk for index, chunk in enumerate(chunks)]


def vp8_descriptor_length(payload: bytes) -> int:
    """Length of the VP8 payload descriptor at the start of ``payload`` (RFC 7741 4.2)."""
    if not payload:
        return 0
    length = 1
    if payload[0] & 0x80:  # X
        if len(payload) < 2:
            return len(payload)
        extended = payload[1]
        length += 1
        if extended & 0x80:  # I
            length += 2 if len(payload) > 2 and payload[2] & 0x80 else 1
        if extended & 0x40:  # L
            length += 1
        if extended & 0x30:  # T or K
            length += 1
    return min(length, len(payload))


def vp8_starts_frame(payload: bytes) -> bool:
    """S=1 and partition id 0."""
    return bool(payload) and payload[0] & 0x1F == 0x10


def vp8_picture_id(payload: bytes) -> int | None:
    if len(payload) < 3 or not payload[0] & 0x80 or not payload[1] & 0x80:
        return None
    if payload[2] & 0x80:
        return (payload[2] & 0x7F) << 8 | payload[3] if len(payload) > 3 else None
    return payload[2] & 0x7F


def vp8_depacketize(payloads: list[bytes]) -> bytes:
    return b"".join(p[vp8_descriptor_length(p) :] for p in payloads)


# ---- RTP ----


def header_extensions(extensions: dict[str, int], mid: str) -> tuple[bytes, int | None]:
    """The constant part of our one-byte header extension block (mid) and the abs-send-time id, if negotiated.

    The block's length word is written per packet (:func:`extension_block`)."""
    elements = b""
    mid_id = extensions.get(MID_URI)
    if mid_id is not None and mid:
        data = mid.encode()
        elements += bytes(((mid_id << 4) | (len(data) - 1),)) + data
    return elements, extensions.get(ABS_SEND_TIME_URI)


def extension_block(constant: bytes, abs_send_time_id: int | None, now: float) -> bytes:
    elements = constant
    if abs_send_time_id is not None:
        value = int(now * (1 << 18)) & 0xFFFFFF
        elements += bytes(((abs_send_time_id << 4) | 2, value >> 16, (value >> 8) & 0xFF, value & 0xFF))
    if not elements:
        return b""
    elements += b"\x00" * (-len(elements) % 4)
    return b"\xbe\xde" + (len(elements) // 4).to_bytes(2, "big") + elements


@dataclass(frozen=True, slots=True)
class RtpHeader:
    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    header_length: int
    payload_end: int


def parse_rtp(packet: bytes) -> RtpHeader | None:
    """The fixed header, CSRCs, extension and padding of an RTP packet; None if it is not one."""
    if len(packet) < 12 or packet[0] >> 6 != 2:
        return None
    first, second, sequence, timestamp, ssrc = RTP_HEADER.unpack_from(packet)
    offset = 12 + 4 * (first & 0x0F)
    if first & 0x10:
        if len(packet) < offset + 4:
            return None
        offset += 4 + 4 * int.from_bytes(packet[offset + 2 : offset + 4], "big")
    end = len(packet)
    if first & 0x20 and end > offset:
        end -= packet[-1]
    if offset > end:
        return None
    return RtpHeader(second & 0x7F, bool(second & 0x80), sequence, timestamp, ssrc, offset, end)


def unwrap(value: int, last: int | None, bits: int) -> int:
    """``value`` (``bits`` wide, wrapping) extended to the nearest number to ``last`` (an earlier extended value)."""
    if last is None:
        return value + (1 << bits)  # room below for packets from before the first
    half = 1 << (bits - 1)
    delta = (value - last + half) % (1 << bits) - half
    return last + delta


# ---- RTCP ----


def rtcp_header(count_or_fmt: int, packet_type: int, length_bytes: int) -> bytes:
    return bytes((0x80 | count_or_fmt, packet_type)) + (length_bytes // 4 - 1).to_bytes(2, "big")


def nack_fci(sequences: list[int]) -> bytes:
    """Generic NACK FCI (RFC 4585 6.2.1) for ascending extended sequence numbers: (PID, BLP) pairs."""
    out = bytearray()
    index = 0
    while index < len(sequences):
        pid = sequences[index]
        bitmask = 0
        index += 1
        while index < len(sequences) and 1 <= sequences[index] - pid <= 16:
            bitmask |= 1 << (sequences[index] - pid - 1)
            index += 1
        out += struct.pack("!HH", pid & 0xFFFF, bitmask)
    return bytes(out)


def build_nack(sender_ssrc: int, media_ssrc: int, sequences: list[int]) -> bytes:
    fci = nack_fci(sequences)
    return rtcp_header(RTPFB_NACK, RTCP_RTPFB, 12 + len(fci)) + struct.pack("!II", sender_ssrc, media_ssrc) + fci


def parse_nack_fci(fci: bytes) -> list[int]:
    lost = []
    for offset in range(0, len(fci) - 3, 4):
        pid, bitmask = struct.unpack_from("!HH", fci, offset)
        lost.append(pid)
        lost += [(pid + bit + 1) & 0xFFFF for bit in range(16) if bitmask >> bit & 1]
    return lost


def build_pli(sender_ssrc: int, media_ssrc: int) -> bytes:
    return rtcp_header(PSFB_PLI, RTCP_PSFB, 12) + struct.pack("!II", sender_ssrc, media_ssrc)


@dataclass(frozen=True, slots=True)
class ReportBlock:
    ssrc: int
    fraction_lost: int  # 0-255
    cumulative_lost: int
    highest_sequence: int  # extended
    jitter: int = 0
    last_sr: int = 0
    delay_since_last_sr: int = 0

    def pack(self) -> bytes:
        lost = max(-(1 << 23), min((1 << 23) - 1, self.cumulative_lost)) & 0xFFFFFF
        return struct.pack(
            "!IIIIII",
            self.ssrc,
            (self.fraction_lost & 0xFF) << 24 | lost,
            self.highest_sequence & 0xFFFFFFFF,
            self.jitter,
            self.last_sr,
            self.delay_since_last_sr,
        )


def build_rr(sender_ssrc: int, blocks: list[ReportBlock]) -> bytes:
    body = b"".join(b.pack() for b in blocks)
    return rtcp_header(len(blocks), RTCP_RR, 8 + len(body)) + struct.pack("!I", sender_ssrc) + body


def build_sr(
    sender_ssrc: int, wall: float, rtp_timestamp: int, packets: int, octets: int, blocks: list[ReportBlock]
) -> bytes:
    seconds = wall + NTP_EPOCH_OFFSET
    ntp = int(seconds) << 32 | int((seconds % 1) * (1 << 32))
    body = b"".join(b.pack() for b in blocks)
    info = struct.pack(
        "!IQIII", sender_ssrc, ntp, rtp_timestamp & 0xFFFFFFFF, packets & 0xFFFFFFFF, octets & 0xFFFFFFFF
    )
    return rtcp_header(len(blocks), RTCP_SR, 4 + len(info) + len(body)) + info + body


def iter_rtcp(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(packet type, count or fmt, the packet) for each packet of a compound RTCP packet."""
    offset = 0
    while offset + 4 <= len(data):
        length = (int.from_bytes(data[offset + 2 : offset + 4], "big") + 1) * 4
        packet = data[offset : offset + length]
        if len(packet) < length:
            return
        yield data[offset + 1], data[offset] & 0x1F, packet
        offset += length


# ---- Loss ----


class LossInjector:
    """Seeded random drops: the same seed and name give the same decisions in the same order."""

    def __init__(self, rate: float, seed: int | str, name: str) -> None:
        self.rate = rate
        self._random = random.Random(f"{seed}/{name}")  # noqa: S311 - a benchmark's loss, not a secret
        self.dropped = 0

    def drop(self) -> bool:
        if self.rate <= 0.0:
            return False
        if self._random.random() < self.rate:
            self.dropped += 1
            return True
        return False


# ---- Receiving ----


@dataclass(slots=True)
class _Hole:
    detected: float
    attempts: int = 0
    last: float = 0.0


@dataclass(slots=True)
class _Frame:
    first_arrival: float
    start: int | None = None
    end: int | None = None
    count: int = 0
    keyframe: bool = False
    done: bool = False


class StreamReceiver:
    """Sequence numbers of one incoming stream: duplicates, holes, losses (for RR and the report)."""

    def __init__(self) -> None:
        self.first: int | None = None
        self.highest: int | None = None
        self.received = 0  # unique packets
        self.duplicates = 0
        self._seen: set[int] = set()
        self.holes: dict[int, _Hole] = {}
        self.recovered = 0  # holes filled after a NACK
        self.nacked = 0  # sequence numbers asked for (each attempt)
        self.given_up = 0
        self._report_expected = 0
        self._report_received = 0

    def add(self, sequence: int, now: float) -> int | None:
        """The packet's extended sequence number, or None for a duplicate."""
        ext = unwrap(sequence, self.highest, 16)
        if ext in self._seen:
            self.duplicates += 1
            return None
        self._seen.add(ext)
        self.received += 1
        if self.highest is None or self.first is None:
            self.first = self.highest = ext
            return ext
        if ext > self.highest:
            if ext - self.highest > MAX_MISSING:  # a restarted stream, not a loss
                self.holes.clear()
            else:
                for missing in range(self.highest + 1, ext):
                    self.holes[missing] = _Hole(now)
            self.highest = ext
            if len(self.holes) > MAX_MISSING:
                for old in sorted(self.holes)[: len(self.holes) - MAX_MISSING]:
                    del self.holes[old]
        else:
            self.first = min(self.first, ext)
            hole = self.holes.pop(ext, None)
            if hole is not None and hole.attempts:
                self.recovered += 1
        return ext

    def due_nacks(self, now: float) -> list[int]:
        """Extended sequence numbers to NACK now (each at most ``NACK_RETRIES`` times), giving up on older holes."""
        due = []
        for ext, hole in list(self.holes.items()):
            if hole.attempts >= NACK_RETRIES:
                if now - hole.last >= NACK_INTERVAL * 2:
                    del self.holes[ext]
                    self.given_up += 1
                continue
            if now - hole.detected < REORDER_WAIT or (hole.attempts and now - hole.last < NACK_INTERVAL):
                continue
            hole.attempts += 1
            hole.last = now
            due.append(ext)
        self.nacked += len(due)
        return due

    def prune(self) -> None:
        if self.highest is not None:
            floor = self.highest - 4 * MAX_MISSING
            self._seen = {s for s in self._seen if s >= floor}

    @property
    def lost(self) -> int:
        """Packets expected (first to highest) and never received."""
        if self.highest is None or self.first is None:
            return 0
        return self.highest - self.first + 1 - self.received

    def report_block(self, ssrc: int, last_sr: int, delay: int) -> ReportBlock:
        expected = 0 if self.highest is None or self.first is None else self.highest - self.first + 1
        interval_expected = expected - self._report_expected
        interval_lost = interval_expected - (self.received - self._report_received)
        self._report_expected, self._report_received = expected, self.received
        fraction = (interval_lost * 256 // interval_expected) if interval_expected > 0 and interval_lost > 0 else 0
        return ReportBlock(ssrc, min(255, fraction), self.lost, self.highest or 0, 0, last_sr, delay)


class VideoReceiver(StreamReceiver):
    """Complete VP8 frames: every packet of a timestamp from the frame's start (S=1, partition 0) to its marker bit."""

    def __init__(self) -> None:
        super().__init__()
        self._frames: dict[int, _Frame] = {}
        self.frames = 0
        self.keyframes = 0
        self.abandoned = 0
        self.sizes: Counter[str] = Counter()

    def add_packet(self, sequence: int, timestamp: int, marker: bool, payload: bytes, now: float) -> bool:
        """Count a packet in; True if it completed a frame."""
        ext = self.add(sequence, now)
        if ext is None:
            return False
        frame = self._frames.get(timestamp)
        if frame is None:
            frame = self._frames[timestamp] = _Frame(now)
        elif frame.done:
            return False
        frame.count += 1
        if vp8_starts_frame(payload):
            frame.start = ext
            body = payload[vp8_descriptor_length(payload) :]
            if body and not body[0] & 0x01:
                frame.keyframe = True
                size = vp8_keyframe_size(body)
                if size is not None:
                    self.sizes[f"{size[0]}x{size[1]}"] += 1
        if marker:
            frame.end = ext
        if frame.start is None or frame.end is None or frame.count != frame.end - frame.start + 1:
            return False
        frame.done = True
        self.frames += 1
        self.keyframes += frame.keyframe
        return True

    def stale(self, now: float) -> int:
        """Give up frames incomplete for ``PLI_AFTER`` (their count), forget completed ones after a while."""
        given_up = 0
        for timestamp, frame in list(self._frames.items()):
            age = now - frame.first_arrival
            if frame.done:
                if age > 4 * PLI_AFTER:
                    del self._frames[timestamp]
            elif age > PLI_AFTER:
                del self._frames[timestamp]
                given_up += 1
        self.abandoned += given_up
        return given_up


class AudioReceiver(StreamReceiver):
    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[float, int]] = []
        self._timestamp: int | None = None

    def add_packet(self, sequence: int, timestamp: int, now: float) -> None:
        if self.add(sequence, now) is None:
            return
        self._timestamp = unwrap(timestamp, self._timestamp, 32)
        self.arrivals.append((now, self._timestamp))


# ---- Sending ----


@dataclass(frozen=True, slots=True)
class PreparedMedia:
    """The file packetised once per process: VP8 chunks per frame (descriptor added per send), Opus packets."""

    video: tuple[tuple[bytes, ...], ...]
    keyframes: tuple[bool, ...]
    audio: tuple[bytes, ...]

    @classmethod
    def from_media(cls, media: EncodedMedia) -> PreparedMedia:
        return cls(
            video=tuple(vp8_chunks(p.data) for p in media.video),
            keyframes=tuple(p.keyframe for p in media.video),
            audio=tuple(p.data for p in media.audio),
        )

    def next_keyframe(self, index: int) -> int:
        for step in range(len(self.keyframes)):
            candidate = (index + step) % len(self.keyframes)
            if self.keyframes[candidate]:
                return candidate
        return index


class OutStream:
    """One outgoing stream: its schedule (the k-th frame is due at t0 + k x period), counters and, for video, the
    retransmission cache."""

    def __init__(
        self,
        kind: str,
        parameters: passthrough.StreamParameters,
        media: PreparedMedia,
        start: float,
        rng: random.Random,
    ) -> None:
        self.kind = kind
        self.media = media
        self.parameters = parameters
        self.ssrc = parameters.ssrc if parameters.ssrc is not None else rng.getrandbits(32)
        self.payload_type = parameters.payload_type
        self.rtx_payload_type = parameters.rtx_payload_type
        self.rtx_ssrc = parameters.rtx_ssrc
        self.period = 1 / FPS if kind == "video" else AUDIO_FRAME / AUDIO_CLOCK
        self.step = VIDEO_CLOCK // FPS if kind == "video" else AUDIO_FRAME
        self.clock = VIDEO_CLOCK if kind == "video" else AUDIO_CLOCK
        self.start = start
        self.count = 0  # frames sent (or skipped) so far: the schedule
        self.index = rng.randrange(len(media.audio)) if kind == "audio" else 0  # position in the file
        self.sequence = rng.getrandbits(16)
        self.rtx_sequence = rng.getrandbits(16)
        self.timestamp_base = rng.getrandbits(32)
        self.ext_constant, self.abs_send_time_id = header_extensions(parameters.extensions, parameters.mid)
        self.header_length = 12 + len(extension_block(self.ext_constant, self.abs_send_time_id, 0.0))
        self.cache_sequence = [-1] * SEND_CACHE
        self.cache_plain: list[bytes] = [b""] * SEND_CACHE
        self.cache_protected: list[bytes] = [b""] * SEND_CACHE
        self.packets = 0
        self.octets = 0
        self.skipped = 0
        self.keyframe_jumps = 0

    def due(self) -> float:
        return self.start + self.count * self.period

    def rtp_timestamp(self, now: float) -> int:
        return (self.timestamp_base + round((now - self.start) * self.clock)) & 0xFFFFFFFF

    def jump_to_keyframe(self) -> None:
        if self.kind == "video":
            self.index = self.media.next_keyframe(self.index)
            self.keyframe_jumps += 1

    def next_payloads(self) -> list[tuple[bytes, bool]]:
        """The next frame's RTP payloads, with the marker bit; advances the position in the file."""
        if self.kind == "audio":
            data = self.media.audio[self.index]
            self.index = (self.index + 1) % len(self.media.audio)
            return [(data, False)]
        chunks = self.media.video[self.index]
        self.index = (self.index + 1) % len(self.media.video)
        picture_id = self.count
        last = len(chunks) - 1
        return [(vp8_descriptor(i == 0, picture_id) + chunk, i == last) for i, chunk in enumerate(chunks)]

    def packet(self, payload: bytes, marker: bool, timestamp: int, wall: float) -> bytes:
        extension = extension_block(self.ext_constant, self.abs_send_time_id, wall)
        first = 0x90 if extension else 0x80
        second = self.payload_type | (0x80 if marker else 0)
        header = RTP_HEADER.pack(first, second, self.sequence, timestamp, self.ssrc)
        self.sequence = (self.sequence + 1) & 0xFFFF
        return header + extension + payload

    def remember(self, plain: bytes, protected: bytes) -> None:
        sequence = int.from_bytes(plain[2:4], "big")
        slot = sequence % SEND_CACHE
        self.cache_sequence[slot] = sequence
        self.cache_plain[slot] = plain
        self.cache_protected[slot] = protected

    def retransmission(self, sequence: int) -> tuple[bytes | None, bytes | None]:
        """For a NACKed sequence number: (a packet to protect and send, or cached protected bytes to send again).

        With RTX negotiated, an RTX packet (RTX payload type, SSRC and sequence number, the original sequence number
        before the payload); without, the packet as it was first protected (libsrtp refuses to protect an index
        twice), or the plain packet if it never was (the injected loss dropped it before protection)."""
        slot = sequence % SEND_CACHE
        if self.cache_sequence[slot] != sequence:
            return None, None
        plain = self.cache_plain[slot]
        if self.rtx_payload_type is None or self.rtx_ssrc is None:
            protected = self.cache_protected[slot]
            return (None, protected) if protected else (plain, None)
        length = self.header_length
        timestamp = int.from_bytes(plain[4:8], "big")
        second = (plain[1] & 0x80) | self.rtx_payload_type
        header = RTP_HEADER.pack(plain[0] & 0xF0, second, self.rtx_sequence, timestamp, self.rtx_ssrc)
        self.rtx_sequence = (self.rtx_sequence + 1) & 0xFFFF
        return header + plain[12:length] + plain[2:4] + plain[length:], None


# ---- A client ----


class ArrivalLoss:
    """The injected loss on arrival, as ``RtpTransport.lose``: called with each protected datagram before SRTP, so a
    packet lost on the way never reaches libsrtp and the node's retransmission of it (the same SRTP index and
    ciphertext, from its ring) is not refused as a replay. RTCP passes; RTP datagrams that arrive are counted."""

    def __init__(self, loss: LossInjector) -> None:
        self.loss = loss
        self.arrived = 0

    def __call__(self, data: bytes) -> bool:
        if len(data) >= 2 and 192 <= data[1] <= 223:  # RTCP
            return False
        self.arrived += 1
        return self.loss.drop()


@dataclass(slots=True)
class RtpClientReport(ClientReport):
    keyframes: int = 0
    frames_abandoned: int = 0
    video_packets_lost: int = 0  # never received, retransmissions counted
    nack_messages_sent: int = 0
    nacked_packets: int = 0  # sequence numbers asked for, each attempt
    retransmissions_received: int = 0  # RTX (or repeated) packets that filled a NACKed hole
    rtx_packets_received: int = 0
    plis_sent: int = 0
    nacks_received: int = 0  # sequence numbers the node asked us for
    retransmissions_sent: int = 0
    keyframe_requests_received: int = 0
    dropped_out: int = 0  # injected loss, before sending
    dropped_in: int = 0  # injected loss, on arrival
    packets_arrived: int = 0  # RTP datagrams from the node, before the injected loss: what it sent us
    unprotect_failures: int = 0  # SRTP refused (replays, corruption)
    send_failures: int = 0  # packets not protected or not sent


class RtpClient:
    def __init__(
        self,
        call: int,
        role: str,
        room: str,
        token: str | None,
        media: PreparedMedia,
        loss: float,
        seed: int,
        source: str | None = None,
    ) -> None:
        self.call = call
        self.role = role
        self.room = room
        self.token = token
        self.source = source  # loopback address of its HTTP requests (the node's flood limits are per address)
        self.media = media
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.transport: passthrough.RtpTransport | None = None
        self.rng = random.Random(f"{seed}/{call}/{role}/streams")  # noqa: S311 - not a secret
        self.loss_out = LossInjector(loss, seed, f"{call}/{role}/out")
        self.loss_in = LossInjector(loss, seed, f"{call}/{role}/in")
        self.arrival = ArrivalLoss(self.loss_in)
        self.out: dict[str, OutStream] = {}
        self.incoming: dict[str, passthrough.StreamParameters] = {}
        self.video = VideoReceiver()
        self.audio = AudioReceiver()
        self.remote_ssrc: dict[str, int] = {}
        self.last_sr: dict[int, tuple[int, float]] = {}  # remote SSRC → (middle 32 bits of its NTP time, arrival)
        self.got_video = asyncio.Event()
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.error = ""
        self.next_rtcp = 0.0
        self.next_housekeeping = 0.0
        self.nack_messages = 0
        self.plis = 0
        self.last_pli = 0.0
        self.rtx_received = 0
        self.nacks_received = 0
        self.retransmissions_sent = 0
        self.keyframe_requests = 0
        self.send_failures = 0
        self.lateness: Counter[int] = Counter()  # ms late → frames, for the pacer's report
        self.video_pt = self.audio_pt = self.rtx_pt = -1

    # -- negotiation --

    def on_send_parameters(self, parameters: passthrough.StreamParameters) -> None:
        start = time.monotonic() + self.rng.random() * 0.02
        self.out[parameters.kind] = OutStream(parameters.kind, parameters, self.media, start, self.rng)

    def on_receive_parameters(self, parameters: passthrough.StreamParameters) -> None:
        self.incoming[parameters.kind] = parameters
        if parameters.kind == "video":
            self.video_pt = parameters.payload_type
            self.rtx_pt = parameters.rtx_payload_type if parameters.rtx_payload_type is not None else -1
            if parameters.ssrc is not None:
                self.remote_ssrc["video"] = parameters.ssrc
        else:
            self.audio_pt = parameters.payload_type
            if parameters.ssrc is not None:
                self.remote_ssrc["audio"] = parameters.ssrc

    @property
    def rtcp_ssrc(self) -> int:
        stream = self.out.get("video") or self.out.get("audio")
        return stream.ssrc if stream is not None else 1

    # -- receiving --

    def on_rtp(self, packet: bytes, _arrival: float) -> None:
        header = parse_rtp(packet)
        if header is None:
            return
        now = time.monotonic()
        payload_type = header.payload_type
        if payload_type == self.video_pt:
            self.remote_ssrc.setdefault("video", header.ssrc)
            payload = packet[header.header_length : header.payload_end]
            if self.video.add_packet(header.sequence, header.timestamp, header.marker, payload, now):
                self.got_video.set()
        elif payload_type == self.audio_pt:
            self.remote_ssrc.setdefault("audio", header.ssrc)
            self.audio.add_packet(header.sequence, header.timestamp, now)
        elif payload_type == self.rtx_pt and header.payload_end - header.header_length >= 2:
            self.rtx_received += 1
            start = header.header_length
            sequence = int.from_bytes(packet[start : start + 2], "big")
            payload = packet[start + 2 : header.payload_end]
            if self.video.add_packet(sequence, header.timestamp, header.marker, payload, now):
                self.got_video.set()

    def on_rtcp(self, data: bytes) -> None:
        video = self.out.get("video")
        for packet_type, fmt, packet in iter_rtcp(data):
            if packet_type == RTCP_SR and len(packet) >= 20:
                ssrc, ntp = struct.unpack_from("!IQ", packet, 4)
                self.last_sr[ssrc] = ((ntp >> 16) & 0xFFFFFFFF, time.monotonic())
            elif packet_type == RTCP_RTPFB and fmt == RTPFB_NACK and len(packet) >= 12:
                media_ssrc = struct.unpack_from("!I", packet, 8)[0]
                if video is not None and media_ssrc == video.ssrc:
                    for sequence in parse_nack_fci(packet[12:]):
                        self.nacks_received += 1
                        self.retransmit(video, sequence)
            elif packet_type == RTCP_PSFB and fmt in (PSFB_PLI, PSFB_FIR) and len(packet) >= 12:
                target = struct.unpack_from("!I", packet, 8)[0]
                if fmt == PSFB_FIR and len(packet) >= 16:
                    target = struct.unpack_from("!I", packet, 12)[0]
                if video is not None and target == video.ssrc:
                    self.keyframe_requests += 1
                    video.jump_to_keyframe()

    # -- sending --

    def retransmit(self, stream: OutStream, sequence: int) -> None:
        if self.transport is None:
            return
        packet, protected = stream.retransmission(sequence)
        if packet is None and protected is None:
            return
        self.retransmissions_sent += 1
        if self.loss_out.drop():
            return
        if protected is not None:
            self.transport.send_protected(protected)
        elif packet is not None:
            sent = self.transport.send_rtp(packet)
            if sent and stream.rtx_payload_type is None:
                stream.remember(packet, sent)

    def pump(self, now: float, wall: float) -> None:
        """Send what is due, NACK holes, give up stale frames, report: one tick of the pacer for this client."""
        transport = self.transport
        if transport is None:
            return
        for stream in self.out.values():
            while (late := now - stream.due()) >= 0:
                if late > MAX_BEHIND:  # the process stalled: skip ahead rather than burst
                    behind = int(late / stream.period)
                    stream.count += behind
                    stream.skipped += behind
                    continue
                self.lateness[int(late * 1000)] += 1
                timestamp = (stream.timestamp_base + stream.count * stream.step) & 0xFFFFFFFF
                for payload, marker in stream.next_payloads():
                    plain = stream.packet(payload, marker, timestamp, wall)
                    stream.packets += 1
                    stream.octets += len(payload)
                    if self.loss_out.drop():  # lost on the way: sent as far as the stack knows, so NACKable
                        protected = b""
                    else:
                        protected = transport.send_rtp(plain) or b""
                        if not protected:
                            self.send_failures += 1
                    if stream.kind == "video":
                        stream.remember(plain, protected)
                stream.count += 1
        remote_video = self.remote_ssrc.get("video")
        if self.video.holes and remote_video is not None:
            due = self.video.due_nacks(now)
            if due:
                transport.send_rtcp(build_nack(self.rtcp_ssrc, remote_video, due))
                self.nack_messages += 1
        if now >= self.next_housekeeping:
            self.next_housekeeping = now + 0.1
            if self.video.stale(now) and remote_video is not None and now - self.last_pli >= PLI_AFTER:
                transport.send_rtcp(build_pli(self.rtcp_ssrc, remote_video))
                self.plis += 1
                self.last_pli = now
        if now >= self.next_rtcp:
            self.next_rtcp = now + RTCP_INTERVAL * (0.5 + self.rng.random())
            self.video.prune()
            self.audio.prune()
            transport.send_rtcp(self.reports(now, wall))

    def reports(self, now: float, wall: float) -> bytes:
        blocks = []
        for kind, receiver in (("video", self.video), ("audio", self.audio)):
            ssrc = self.remote_ssrc.get(kind)
            if ssrc is None or receiver.highest is None:
                continue
            last_sr, delay = 0, 0
            if ssrc in self.last_sr:
                last_sr, at = self.last_sr[ssrc]
                delay = int((now - at) * 65536)
            blocks.append(receiver.report_block(ssrc, last_sr, delay))
        out = b""
        for index, stream in enumerate(self.out.values()):
            out += build_sr(
                stream.ssrc,
                wall,
                stream.rtp_timestamp(now),
                stream.packets,
                stream.octets,
                blocks if index == 0 else [],
            )
        return out or build_rr(self.rtcp_ssrc, blocks)

    # -- the report --

    def counters(self) -> dict[str, int]:
        video, audio = self.out.get("video"), self.out.get("audio")
        return {
            "frames": self.video.frames,
            "keyframes": self.video.keyframes,
            "abandoned": self.video.abandoned,
            "video_lost": self.video.lost,
            "audio_lost": self.audio.lost,
            "nack_messages": self.nack_messages,
            "nacked": self.video.nacked,
            "recovered": self.video.recovered,
            "rtx": self.rtx_received,
            "plis": self.plis,
            "nacks_received": self.nacks_received,
            "retransmissions_sent": self.retransmissions_sent,
            "keyframe_requests": self.keyframe_requests,
            "dropped_out": self.loss_out.dropped,
            "dropped_in": self.loss_in.dropped,
            "arrived": self.arrival.arrived,
            "unprotect_failures": self.transport.unprotect_failures if self.transport is not None else 0,
            "received": self.video.received + self.audio.received + self.video.duplicates + self.audio.duplicates,
            "sent": (video.packets if video else 0) + (audio.packets if audio else 0),
            "send_failures": self.send_failures,
        }

    def report(self, seconds: float, start: dict[str, int]) -> RtpClientReport:
        now = self.counters()
        delta = {key: now[key] - start.get(key, 0) for key in now}
        audio = audio_stats(list(self.audio.arrivals), seconds)
        return RtpClientReport(
            call=self.call,
            role=self.role,
            connected=self.got_video.is_set(),
            video_frames=delta["frames"],
            fps=delta["frames"] / seconds if seconds else 0.0,
            resolution=self.video.sizes.most_common(1)[0][0] if self.video.sizes else "",
            audio_received=audio.received,
            audio_missing=audio.missing,
            audio_stalled=audio.stalled,
            audio_concealed=audio.concealed,
            audio_total=audio.total,
            audio_packets_lost=delta["audio_lost"],
            packets_sent=delta["sent"],
            packets_received=delta["received"],
            error=self.error,
            keyframes=delta["keyframes"],
            frames_abandoned=delta["abandoned"],
            video_packets_lost=delta["video_lost"],
            nack_messages_sent=delta["nack_messages"],
            nacked_packets=delta["nacked"],
            retransmissions_received=delta["recovered"],
            rtx_packets_received=delta["rtx"],
            plis_sent=delta["plis"],
            nacks_received=delta["nacks_received"],
            retransmissions_sent=delta["retransmissions_sent"],
            keyframe_requests_received=delta["keyframe_requests"],
            dropped_out=delta["dropped_out"],
            dropped_in=delta["dropped_in"],
            packets_arrived=delta["arrived"],
            unprotect_failures=delta["unprotect_failures"],
            send_failures=delta["send_failures"],
        )


class Pacer:
    """The one task per process that sends for every client: ticks every ``TICK`` s."""

    def __init__(self, clients: list[RtpClient]) -> None:
        self.clients = clients
        self.ticks = 0
        self.overruns = 0  # ticks that started more than a tick late
        self._stopped = False

    def stop(self) -> None:
        self._stopped = True

    async def run(self) -> None:
        next_tick = time.monotonic()
        while not self._stopped:
            now = time.monotonic()
            if now - next_tick > TICK:
                self.overruns += 1
            wall = time.time()
            for client in self.clients:
                try:
                    client.pump(now, wall)
                except Exception as error:  # one client's fault must not stop the others' media
                    client.error = client.error or f"pump: {type(error).__name__}: {error}"[:300]
            self.ticks += 1
            next_tick = max(next_tick + TICK, time.monotonic())
            await asyncio.sleep(next_tick - time.monotonic())


def lateness_summary(counts: Counter[int]) -> dict[str, float]:
    """p50/p99/max of how late (ms) frames went out against their schedule."""
    total = sum(counts.values())
    if not total:
        return {"p50_ms": math.nan, "p99_ms": math.nan, "max_ms": math.nan, "frames": 0}
    ordered = sorted(counts.items())
    result: dict[str, float] = {"max_ms": float(ordered[-1][0]), "frames": total}
    for name, fraction in (("p50_ms", 0.5), ("p99_ms", 0.99)):
        rank = max(1, math.ceil(fraction * total))
        seen = 0
        for value, count in ordered:
            seen += count
            if seen >= rank:
                result[name] = float(value)
                break
    return result


# ---- Connecting ----


async def _events(client: RtpClient, http: aiohttp.ClientSession, base_url: str) -> None:
    """The events WebSocket: the agent admits whoever waits; everyone else just listens."""
    url = f"{base_url}/rooms/{client.room}/events"
    async with http.ws_connect(url, params={"token": client.token or ""}, heartbeat=20) as ws:
        client.ws = ws
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT or client.role != "agent":
                continue
            event = json.loads(message.data)
            waiting: list[str] = []
            if event.get("type") == "waiting":
                waiting.append(str(event["participant_id"]))
            elif event.get("type") == "state":
                waiting += [str(p["participant_id"]) for p in event.get("participants", []) if p["state"] == "waiting"]
            for participant in waiting:
                await ws.send_json({"type": "admit", "participant_id": participant})


async def connect(client: RtpClient, http: aiohttp.ClientSession, base_url: str) -> None:
    pc = client.pc
    pc.createDataChannel("chat")
    for kind in ("audio", "video"):
        transceiver = pc.addTransceiver(kind, direction="sendrecv")
        passthrough.take_over_sender(transceiver.sender, kind, client.on_send_parameters)
        passthrough.take_over_receiver(transceiver.receiver, kind, client.on_receive_parameters)
    passthrough.prefer_vp8_opus(pc)
    client.tasks.append(asyncio.create_task(_events(client, http, base_url)))
    await pc.setLocalDescription(await pc.createOffer())
    body: dict[str, Any] = {"sdp": pc.localDescription.sdp, "type": "offer", "token": client.token}
    async with http.post(f"{base_url}/rooms/{client.room}/offer", json=body) as response:
        if response.status != 200:
            raise RuntimeError(f"offer answered {response.status}: {(await response.text())[:300]}")
        answer = await response.json()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
    client.transport = passthrough.RtpTransport(pc, client.on_rtp, client.on_rtcp)
    client.transport.lose = client.arrival


def _send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _errors(clients: list[RtpClient]) -> list[str]:
    return [f"call {c.call} {c.role}: {c.error}" for c in clients if c.error]


async def run() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    config = json.loads(await reader.readline())
    media = PreparedMedia.from_media(load(Path(config["media"])))
    loss, seed = float(config.get("loss", 0.0)), int(config.get("seed", 1))
    clients = [
        RtpClient(c["call"], c["role"], c["room"], c.get("token"), media, loss, seed, c.get("source"))
        for c in config["clients"]
    ]
    pacer = Pacer(clients)
    pacer_task = asyncio.create_task(pacer.run())
    async with contextlib.AsyncExitStack() as stack:

        async def start(client: RtpClient) -> None:
            try:
                connector = aiohttp.TCPConnector(local_addr=(client.source, 0) if client.source else None)
                http = await stack.enter_async_context(
                    aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30))
                )
                await connect(client, http, config["base_url"])
                await asyncio.wait_for(client.got_video.wait(), READY_TIMEOUT)
            except Exception as error:  # reported per client; the others carry on
                client.error = f"{type(error).__name__}: {error}"[:300]

        await asyncio.gather(*(start(c) for c in clients))
        _send({"event": "ready", "connected": sum(c.got_video.is_set() for c in clients), "errors": _errors(clients)})
        started = time.monotonic()
        marks: list[dict[str, int]] = [c.counters() for c in clients]
        ticks, overruns = pacer.ticks, pacer.overruns
        while line := await reader.readline():
            command = json.loads(line).get("cmd")
            if command == "measure":
                marks = [c.counters() for c in clients]
                for client in clients:
                    client.audio.arrivals.clear()
                    client.lateness.clear()
                ticks, overruns = pacer.ticks, pacer.overruns
                started = time.monotonic()
                _send({"event": "measuring"})
            elif command == "report":
                seconds = time.monotonic() - started
                reports = [asdict(c.report(seconds, mark)) for c, mark in zip(clients, marks, strict=True)]
                lateness: Counter[int] = Counter()
                for client in clients:
                    lateness.update(client.lateness)
                pacing = lateness_summary(lateness) | {
                    "ticks": pacer.ticks - ticks,
                    "overruns": pacer.overruns - overruns,
                    "skipped": sum(s.skipped for c in clients for s in c.out.values()),
                }
                _send({"event": "report", "seconds": seconds, "clients": reports, "pacing": pacing})
            elif command == "stop":
                break
        # The agent ends the call, so the node closes the room and its recording as it would after a real call.
        for client in clients:
            if client.role == "agent" and client.ws is not None and not client.ws.closed:
                with contextlib.suppress(Exception):
                    await client.ws.send_json({"type": "end"})
        await asyncio.sleep(0.5)
        pacer.stop()
        await pacer_task
        for client in clients:
            if client.transport is not None:
                client.transport.close()
            for task in client.tasks:
                task.cancel()
        await asyncio.gather(*(c.pc.close() for c in clients), return_exceptions=True)
    _send({"event": "stopped"})


if __name__ == "__main__":
    asyncio.run(run())
