"""The RTP path (``MEDIA_FORWARDING=rtp``): each admitted participant's RTP forwarded to the others with the least work.

aiortc still does ICE, DTLS and SDP; ``passthrough.RtpTransport`` hands this module every unprotected RTP and RTCP
packet of a peer connection right in the datagram callback, and protects and sends what it gives back. Per packet:

- in: one SRTP unprotect (the transport), RTX unwrapped to the original packet (RFC 4588: the original sequence
  number is the payload's first two bytes), the sequence number noted for the node's own NACKs, the recorder given
  the packet as it came (``write_rtp``);
- out, per receiver: the header rewritten in one copy — the receiver's payload type (the two browsers may have chosen
  different numbers), our SSRC for that section (the one our answer announced), sequence number and timestamp shifted
  by per-stream offsets so the stream stays continuous when its source changes (a reconnection, a new participant in
  that slot); the header extensions kept when both sides negotiated the same ids and MID, dropped otherwise — then one
  SRTP protect and one ``sendto``. The protected bytes go into the stream's ring of the last 1,024 packets, from which
  a receiver's NACK is answered as it is (same SRTP index, same ciphertext). No jitter buffer, no ``av.Packet``, no
  task or thread hop per packet.

RTCP, per compound packet from a participant:

- generic NACK about one of our streams to it: answered from that stream's ring;
- PLI/FIR about one of our video streams: a PLI to the stream's source, at most one per ``KEYFRAME_REQUEST_INTERVAL``
  per source;
- REMB: the lowest estimate of the source's receivers in the last ``REMB_WINDOW`` seconds, sent on to the source for
  its video SSRC, so its bandwidth estimate follows the slowest receiver;
- receiver report blocks about our streams: sent on to each stream's source as its own RR (SSRC and highest sequence
  number mapped back), so the source's loss and round-trip figures still work;
- SR of a participant's own stream: rewritten for each receiver (our SSRC, the RTP timestamp shifted by the same
  offset as the media), so lip sync and round-trip estimates work end to end; SDES and BYE are not forwarded.

The node's own NACKs: a gap in a video stream's sequence numbers is asked again from its sender (after
``NACK_REORDER_WAIT``, up to ``NACK_TRIES`` times, ``NACK_INTERVAL`` apart), so a loss on the way in is repaired for
every receiver and for the recording.
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final, Protocol

from videoatencion_media.rtp_packets import parse_rtp, vp8_keyframe_start

logger = logging.getLogger(__name__)

CLOCK_RATES: Final = {"audio": 48000, "video": 90000}
CACHE_SIZE: Final = 1024  # per outgoing stream: ~10 s of video at 100 packets/s
CACHE_MASK: Final = CACHE_SIZE - 1
KEYFRAME_REQUEST_INTERVAL: Final = 0.5
REMB_WINDOW: Final = 1.5
REMB_INTERVAL: Final = 0.25
NACK_REORDER_WAIT: Final = 0.01
NACK_INTERVAL: Final = 0.05
NACK_TRIES: Final = 3
NACK_GIVE_UP: Final = 1.0
NEVER: Final = float("-inf")
MAX_GAP: Final = 300  # a larger jump is a restarted stream, not losses
RTCP_SR: Final = 200
RTCP_RR: Final = 201
RTCP_SDES: Final = 202
RTCP_BYE: Final = 203
RTCP_RTPFB: Final = 205
RTCP_PSFB: Final = 206

_HEADER = struct.Struct("!HII")  # sequence number, timestamp, SSRC at offset 2
_U32 = struct.Struct("!I")


class Negotiated(Protocol):
    """What was negotiated for one section (``passthrough.StreamParameters``): for one of our outgoing sections, what
    its receiver expects; for a participant's incoming one, what it sends with."""

    @property
    def kind(self) -> str: ...
    @property
    def payload_type(self) -> int: ...
    @property
    def rtx_payload_type(self) -> int | None: ...
    @property
    def ssrc(self) -> int | None: ...
    @property
    def rtx_ssrc(self) -> int | None: ...
    @property
    def extensions(self) -> dict[str, int]: ...
    @property
    def mid(self) -> str: ...


class Transport(Protocol):
    def send_rtp(self, packet: bytes) -> bytes | None: ...
    def send_rtcp(self, packet: bytes) -> bool: ...
    def send_protected(self, data: bytes) -> bool: ...


def uint16_newer(a: int, b: int) -> bool:
    """``a`` comes after ``b`` in 16-bit sequence number order."""
    return a != b and ((a - b) & 0xFFFF) < 0x8000


def unwrap_rtx(packet: bytes, payload_type: int, ssrc: int) -> bytes | None:
    """The original packet of an RTX retransmission (RFC 4588 4), None for padding-only probes and non-RTP."""
    header = parse_rtp(packet)
    if header is None or header.end - header.start < 2:
        return None
    start, end = header.start, header.end
    original = bytearray(packet[:start])
    original[0] &= 0xDF  # the padding went with the RTX payload
    original[1] = (packet[1] & 0x80) | payload_type
    original[2:4] = packet[start : start + 2]
    original[8:12] = _U32.pack(ssrc)
    return bytes(original) + packet[start + 2 : end]


# ---- RTCP ----


def rtcp_packets(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(packet type, count/format, packet) of each packet in a compound RTCP packet; stops at anything malformed."""
    offset = 0
    while offset + 4 <= len(data):
        first = data[offset]
        if first >> 6 != 2:
            return
        length = 4 * (((data[offset + 2] << 8) | data[offset + 3]) + 1)
        if offset + length > len(data):
            return
        yield data[offset + 1], first & 0x1F, data[offset : offset + length]
        offset += length


def _rtcp_header(packet_type: int, count: int, body_length: int) -> bytes:
    return struct.pack("!BBH", 0x80 | count, packet_type, (body_length + 4) // 4 - 1)


def build_pli(sender_ssrc: int, media_ssrc: int) -> bytes:
    return _rtcp_header(RTCP_PSFB, 1, 8) + struct.pack("!II", sender_ssrc, media_ssrc)


def build_nack(sender_ssrc: int, media_ssrc: int, sequence_numbers: list[int]) -> bytes:
    """Generic NACK (RFC 4585 6.2.1): each FCI a packet id and a bitmask of the 16 that follow it."""
    items: list[tuple[int, int]] = []
    for seq in sorted(sequence_numbers, key=lambda s: (s - sequence_numbers[0]) & 0xFFFF):
        if items:
            pid, mask = items[-1]
            distance = (seq - pid) & 0xFFFF
            if 1 <= distance <= 16:
                items[-1] = (pid, mask | 1 << (distance - 1))
                continue
            if distance == 0:
                continue
        items.append((seq, 0))
    body = struct.pack("!II", sender_ssrc, media_ssrc) + b"".join(struct.pack("!HH", p, m) for p, m in items)
    return _rtcp_header(RTCP_RTPFB, 1, len(body)) + body


def parse_nack(packet: bytes) -> tuple[int, list[int]]:
    """Media SSRC and lost sequence numbers of a generic NACK."""
    media_ssrc = _U32.unpack_from(packet, 8)[0]
    lost: list[int] = []
    for offset in range(12, len(packet) - 3, 4):
        pid, mask = struct.unpack_from("!HH", packet, offset)
        lost.append(pid)
        lost.extend((pid + bit + 1) & 0xFFFF for bit in range(16) if mask >> bit & 1)
    return media_ssrc, lost


def build_remb(sender_ssrc: int, bitrate: int, ssrcs: list[int]) -> bytes:
    exponent = 0
    mantissa = max(0, bitrate)
    while mantissa >= 1 << 18:
        mantissa >>= 1
        exponent += 1
    body = struct.pack("!II4sB", sender_ssrc, 0, b"REMB", len(ssrcs))
    body += bytes([(exponent << 2) | (mantissa >> 16), (mantissa >> 8) & 0xFF, mantissa & 0xFF])
    body += b"".join(_U32.pack(s) for s in ssrcs)
    return _rtcp_header(RTCP_PSFB, 15, len(body)) + body


def parse_remb(packet: bytes) -> tuple[int, list[int]] | None:
    """Bitrate and SSRCs of a REMB (draft-alvestrand-rmcat-remb), None for another application feedback."""
    if len(packet) < 20 or packet[12:16] != b"REMB":
        return None
    count = packet[16]
    exponent = packet[17] >> 2
    mantissa = ((packet[17] & 0x03) << 16) | (packet[18] << 8) | packet[19]
    ssrcs = [_U32.unpack_from(packet, 20 + 4 * i)[0] for i in range(count) if 24 + 4 * i <= len(packet)]
    return mantissa << exponent, ssrcs


def build_rr(sender_ssrc: int, blocks: list[bytes]) -> bytes:
    body = _U32.pack(sender_ssrc) + b"".join(blocks)
    return _rtcp_header(RTCP_RR, len(blocks), len(body)) + body


def report_blocks(packet_type: int, count: int, packet: bytes) -> list[bytes]:
    start = 28 if packet_type == RTCP_SR else 8
    return [packet[start + 24 * i : start + 24 * (i + 1)] for i in range(count) if start + 24 * (i + 1) <= len(packet)]


# ---- streams ----


@dataclass
class OutStream:
    """One outgoing section of a receiver, filled by one source at a time (see the module docstring)."""

    kind: str
    parameters: Negotiated
    transport: Transport
    on_keyframe_needed: Callable[[], None]
    source: str | None = None
    source_ssrc: int | None = None
    keep_extensions: bool = False
    seq_offset: int = 0
    ts_offset: int = 0
    last_seq: int | None = None
    last_ts: int = 0
    last_wall: float = 0.0
    need_keyframe: bool = False
    packets: int = 0
    octets: int = 0
    dropped: int = 0
    retransmitted: int = 0
    nack_misses: int = 0
    _cache: list[bytes | None] = field(default_factory=lambda: [None] * CACHE_SIZE)
    _cache_seq: list[int] = field(default_factory=lambda: [-1] * CACHE_SIZE)

    @property
    def ssrc(self) -> int:
        return self.parameters.ssrc or 0

    def restart(self, source: str | None, keep_extensions: bool) -> None:
        """A new source (or none): the next packet starts a new epoch, video at a keyframe."""
        self.source = source
        self.source_ssrc = None
        self.keep_extensions = keep_extensions
        self.need_keyframe = self.kind == "video"

    def _new_epoch(self, ssrc: int, seq: int, ts: int, now: float) -> None:
        self.source_ssrc = ssrc
        if self.last_seq is None:
            self.seq_offset = 0
            self.ts_offset = 0
            return
        self.seq_offset = (self.last_seq + 1 - seq) & 0xFFFF
        elapsed = max(1, round((now - self.last_wall) * CLOCK_RATES[self.kind]))
        self.ts_offset = (self.last_ts + elapsed - ts) & 0xFFFFFFFF

    def forward(self, packet: bytes, ssrc: int, keyframe_start: bool, now: float) -> None:
        if ssrc != self.source_ssrc:
            if self.kind == "video":
                self.need_keyframe = True
            if self.need_keyframe and not keyframe_start:
                self.dropped += 1
                self.on_keyframe_needed()
                return
            seq, ts, _ = _HEADER.unpack_from(packet, 2)
            self._new_epoch(ssrc, seq, ts, now)
        elif self.need_keyframe and not keyframe_start:
            self.dropped += 1
            self.on_keyframe_needed()
            return
        self.need_keyframe = False
        seq_in, ts_in, _ = _HEADER.unpack_from(packet, 2)
        seq = (seq_in + self.seq_offset) & 0xFFFF
        ts = (ts_in + self.ts_offset) & 0xFFFFFFFF
        if self.keep_extensions or not packet[0] & 0x10:
            out = bytearray(packet)
        else:
            start = 12 + 4 * (packet[0] & 0x0F)
            skip = 4 + 4 * ((packet[start + 2] << 8) | packet[start + 3])
            out = bytearray(packet[:start])
            out += packet[start + skip :]
            out[0] &= 0xEF
        out[1] = (packet[1] & 0x80) | self.parameters.payload_type
        _HEADER.pack_into(out, 2, seq, ts, self.ssrc)
        protected = self.transport.send_rtp(bytes(out))
        if protected is None:
            self.dropped += 1
            return
        index = seq & CACHE_MASK
        self._cache[index] = protected
        self._cache_seq[index] = seq
        self.packets += 1
        self.octets += len(out)
        if self.last_seq is None or uint16_newer(seq, self.last_seq):
            self.last_seq = seq
            self.last_ts = ts
            self.last_wall = now

    def resend(self, seq: int) -> bool:
        index = seq & CACHE_MASK
        data = self._cache[index]
        if data is None or self._cache_seq[index] != seq:
            self.nack_misses += 1
            return False
        if self.transport.send_protected(data):
            self.retransmitted += 1
            return True
        return False

    def source_seq(self, seq: int) -> int:
        return (seq - self.seq_offset) & 0xFFFF


@dataclass
class InStream:
    """One participant's incoming stream of a kind: its SSRC and, for video, the gaps the node asks again for."""

    kind: str
    ssrc: int | None = None
    highest: int | None = None
    packets: int = 0
    octets: int = 0
    recovered: int = 0
    nacks_sent: int = 0
    # sequence number -> [first noticed, last asked, times asked]
    missing: dict[int, list[float]] = field(default_factory=dict)
    timer: asyncio.TimerHandle | None = None

    def observe(self, seq: int, now: float) -> None:
        highest = self.highest
        if highest is None or self.kind != "video":
            self.highest = seq
            return
        if uint16_newer(seq, highest):
            gap = (seq - highest) & 0xFFFF
            if gap > MAX_GAP:
                self.missing.clear()
            else:
                for step in range(1, gap):
                    self.missing[(highest + step) & 0xFFFF] = [now, NEVER, 0.0]
            self.highest = seq
        elif self.missing and self.missing.pop(seq, None) is not None:
            self.recovered += 1

    def due_nacks(self, now: float) -> list[int]:
        """The missing sequence numbers to ask for now (forgets those asked enough or too old)."""
        due: list[int] = []
        for seq, entry in list(self.missing.items()):
            noticed, asked, tries = entry
            if now - noticed > NACK_GIVE_UP or (tries >= NACK_TRIES and now - asked >= NACK_INTERVAL):
                del self.missing[seq]
            elif tries < NACK_TRIES and now - noticed >= NACK_REORDER_WAIT and now - asked >= NACK_INTERVAL:
                entry[1] = now
                entry[2] = tries + 1
                due.append(seq)
        return due


def random_ssrc() -> int:
    return random.getrandbits(32) or 1


def now() -> float:
    return time.time()


class RtpRecorder(Protocol):
    def write_rtp(self, participant_id: str, kind: str, packet: bytes, arrival: float) -> None: ...


@dataclass
class RtpPeer:
    """One participant's connection on the RTP path: what it sends us and the streams we send it."""

    id: str
    transport: Transport | None = None
    rtcp_ssrc: int = field(default_factory=random_ssrc)
    receive: dict[str, Negotiated] = field(default_factory=dict)
    payload_kinds: dict[int, tuple[str, bool]] = field(default_factory=dict)  # payload type -> (kind, is RTX)
    incoming: dict[str, InStream] = field(default_factory=lambda: {k: InStream(k) for k in CLOCK_RATES})
    outs: dict[int, OutStream] = field(default_factory=dict)  # by our SSRC
    last_keyframe_request: float = 0.0
    keyframe_requests_sent: int = 0
    keyframe_requests_received: int = 0
    nacks_received: int = 0
    remb: dict[str, tuple[float, int]] = field(default_factory=dict)  # receiver -> (when, bitrate), about our video
    last_remb_sent: float = 0.0
    rtcp_received: int = 0

    def set_receive(self, parameters: Negotiated) -> None:
        self.receive[parameters.kind] = parameters
        self.payload_kinds[parameters.payload_type] = (parameters.kind, False)
        if parameters.rtx_payload_type is not None:
            self.payload_kinds[parameters.rtx_payload_type] = (parameters.kind, True)
        if parameters.ssrc is not None and self.incoming[parameters.kind].ssrc is None:
            self.incoming[parameters.kind].ssrc = parameters.ssrc

    def media_ssrc(self, kind: str) -> int | None:
        return self.incoming[kind].ssrc


class RtpRoom:
    """The RTP path of one room: who gets whose packets, RTCP between them, the recording (see the module docstring).

    The engine owns the peer connections and decides the routes (``set_route``); it tells this object which
    participants are admitted through ``is_admitted``.
    """

    def __init__(self, is_admitted: Callable[[str], bool], recorder: RtpRecorder | None) -> None:
        self.is_admitted = is_admitted
        self.recorder = recorder
        self.peers: dict[str, RtpPeer] = {}
        self.routes: dict[tuple[str, str], list[OutStream]] = {}

    # ---- routing ----

    def extensions_match(self, source: str, out: OutStream) -> bool:
        peer = self.peers.get(source)
        received = peer.receive.get(out.kind) if peer is not None else None
        return (
            received is not None
            and received.extensions == out.parameters.extensions
            and received.mid == out.parameters.mid
        )

    def set_routes(self, routes: dict[tuple[str, str], list[OutStream]]) -> None:
        self.routes = routes

    # ---- packets in ----

    def on_rtp(self, peer: RtpPeer, packet: bytes, arrival: float) -> None:
        if len(packet) < 12:
            return
        found = peer.payload_kinds.get(packet[1] & 0x7F)
        if found is None:
            return
        kind, rtx = found
        incoming = peer.incoming[kind]
        if rtx:
            if incoming.ssrc is None:
                return
            original = unwrap_rtx(packet, peer.receive[kind].payload_type, incoming.ssrc)
            if original is None:
                return  # a padding-only probe
            packet = original
            ssrc = incoming.ssrc
        else:
            ssrc = _U32.unpack_from(packet, 8)[0]
            if incoming.ssrc != ssrc:
                incoming.ssrc = ssrc
                incoming.highest = None
                incoming.missing.clear()
        seq = (packet[2] << 8) | packet[3]
        incoming.packets += 1
        incoming.octets += len(packet)
        if kind == "video":
            incoming.observe(seq, arrival)
            if incoming.missing and incoming.timer is None:
                self._schedule_nacks(peer, incoming, NACK_REORDER_WAIT)
        if self.peers.get(peer.id) is not peer or not self.is_admitted(peer.id):
            return
        if self.recorder is not None:
            try:
                self.recorder.write_rtp(peer.id, kind, packet, arrival)
            except Exception:
                logger.exception("recording a packet failed")
        outs = self.routes.get((peer.id, kind))
        if not outs:
            return
        keyframe = kind == "video" and vp8_keyframe_start(packet)
        for out in outs:
            out.forward(packet, ssrc, keyframe, arrival)

    def _schedule_nacks(self, peer: RtpPeer, incoming: InStream, delay: float) -> None:
        """One timer per stream with gaps (none without): the node's NACKs need no further packet to go out."""
        incoming.timer = asyncio.get_running_loop().call_later(delay, self._send_nacks, peer, incoming)

    def _send_nacks(self, peer: RtpPeer, incoming: InStream) -> None:
        incoming.timer = None
        if self.peers.get(peer.id) is not peer or peer.transport is None or incoming.ssrc is None:
            incoming.missing.clear()
            return
        due = incoming.due_nacks(now())
        if due:
            incoming.nacks_sent += 1
            peer.transport.send_rtcp(build_nack(peer.rtcp_ssrc, incoming.ssrc, due))
        if incoming.missing:
            self._schedule_nacks(peer, incoming, NACK_INTERVAL / 2)

    def close(self) -> None:
        for peer in self.peers.values():
            for incoming in peer.incoming.values():
                if incoming.timer is not None:
                    incoming.timer.cancel()
                    incoming.timer = None

    def on_rtcp(self, peer: RtpPeer, data: bytes) -> None:
        if self.peers.get(peer.id) is not peer:
            return
        peer.rtcp_received += 1
        for packet_type, count, packet in rtcp_packets(data):
            try:
                if packet_type == RTCP_RTPFB and count == 1 and len(packet) >= 16:
                    media_ssrc, lost = parse_nack(packet)
                    out = peer.outs.get(media_ssrc)
                    if out is not None:
                        peer.nacks_received += 1
                        for seq in lost:
                            out.resend(seq)
                elif packet_type == RTCP_PSFB and count in (1, 4) and len(packet) >= (12 if count == 1 else 20):
                    # PLI names the stream in its header, FIR in its first FCI entry
                    media_ssrc = _U32.unpack_from(packet, 8 if count == 1 else 12)[0]
                    out = peer.outs.get(media_ssrc)
                    if out is not None and out.source is not None:
                        peer.keyframe_requests_received += 1
                        self.request_keyframe(out.source)
                elif packet_type == RTCP_PSFB and count == 15:
                    self._remb(peer, packet)
                elif packet_type in (RTCP_SR, RTCP_RR):
                    if packet_type == RTCP_SR and len(packet) >= 28:
                        self._sender_report(peer, packet)
                    self._receiver_reports(peer, report_blocks(packet_type, count, packet))
            except (struct.error, IndexError, ValueError):
                logger.debug("malformed RTCP from %s", peer.id)

    def _sender_report(self, peer: RtpPeer, packet: bytes) -> None:
        ssrc = _U32.unpack_from(packet, 4)[0]
        kind = next((k for k, s in peer.incoming.items() if s.ssrc == ssrc), None)
        if kind is None:
            return
        for out in self.routes.get((peer.id, kind), ()):
            if out.source_ssrc != ssrc:
                continue
            rtp_ts = (_U32.unpack_from(packet, 16)[0] + out.ts_offset) & 0xFFFFFFFF
            body = _U32.pack(out.ssrc) + packet[8:16] + _U32.pack(rtp_ts) + packet[20:28]
            out.transport.send_rtcp(_rtcp_header(RTCP_SR, 0, len(body)) + body)

    def _receiver_reports(self, peer: RtpPeer, blocks: list[bytes]) -> None:
        for block in blocks:
            out = peer.outs.get(_U32.unpack_from(block, 0)[0])
            if out is None or out.source is None or out.source_ssrc is None:
                continue
            source = self.peers.get(out.source)
            if source is None or source.transport is None:
                continue
            highest = _U32.unpack_from(block, 8)[0]
            mapped = (highest & 0xFFFF0000) | out.source_seq(highest & 0xFFFF)
            rewritten = _U32.pack(out.source_ssrc) + block[4:8] + _U32.pack(mapped) + block[12:24]
            source.transport.send_rtcp(build_rr(source.rtcp_ssrc, [rewritten]))

    def _remb(self, peer: RtpPeer, packet: bytes) -> None:
        parsed = parse_remb(packet)
        if parsed is None:
            return
        bitrate, ssrcs = parsed
        now_ = now()
        sources: set[str] = set()
        for ssrc in ssrcs:
            out = peer.outs.get(ssrc)
            if out is not None and out.kind == "video" and out.source is not None:
                sources.add(out.source)
        for source_id in sources:
            source = self.peers.get(source_id)
            if source is None or source.transport is None:
                continue
            source.remb[peer.id] = (now_, bitrate)
            if now_ - source.last_remb_sent < REMB_INTERVAL:
                continue
            fresh = [b for at, b in source.remb.values() if now_ - at <= REMB_WINDOW]
            video_ssrc = source.media_ssrc("video")
            if fresh and video_ssrc is not None:
                source.last_remb_sent = now_
                source.transport.send_rtcp(build_remb(source.rtcp_ssrc, min(fresh), [video_ssrc]))

    # ---- keyframes ----

    def request_keyframe(self, participant_id: str) -> bool:
        """A PLI to a participant for its video; at most one per KEYFRAME_REQUEST_INTERVAL. True if one was sent."""
        peer = self.peers.get(participant_id)
        if peer is None or peer.transport is None:
            return False
        ssrc = peer.media_ssrc("video")
        moment = now()
        if ssrc is None or moment - peer.last_keyframe_request < KEYFRAME_REQUEST_INTERVAL:
            return False
        peer.last_keyframe_request = moment
        peer.keyframe_requests_sent += 1
        return peer.transport.send_rtcp(build_pli(peer.rtcp_ssrc, ssrc))
