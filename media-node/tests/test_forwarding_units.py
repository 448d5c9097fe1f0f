"""The RTP path's per-packet pieces without a network: header rewriting, epochs, the NACK ring, gap tracking, RTCP."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import pytest

from videoatencion_media import forwarding
from videoatencion_media.forwarding import InStream, OutStream, RtpPeer, RtpRoom


@dataclass(frozen=True)
class Params:
    kind: str = "video"
    payload_type: int = 120
    rtx_payload_type: int | None = 121
    ssrc: int | None = 0xABCDEF01
    rtx_ssrc: int | None = 0xABCDEF02
    extensions: dict[str, int] = field(default_factory=dict)
    mid: str = "1"


@dataclass
class FakeTransport:
    rtp: list[bytes] = field(default_factory=list)
    rtcp: list[bytes] = field(default_factory=list)
    resent: list[bytes] = field(default_factory=list)

    def send_rtp(self, packet: bytes) -> bytes | None:
        self.rtp.append(packet)
        return b"protected:" + packet

    def send_rtcp(self, packet: bytes) -> bool:
        self.rtcp.append(packet)
        return True

    def send_protected(self, data: bytes) -> bool:
        self.resent.append(data)
        return True


def rtp(seq: int, ts: int, ssrc: int, payload: bytes, *, pt: int = 96, marker: bool = True, ext: bytes = b"") -> bytes:
    first = 0x90 if ext else 0x80
    header = struct.pack("!BBHII", first, (0x80 if marker else 0) | pt, seq, ts, ssrc)
    if ext:
        header += struct.pack("!HH", 0xBEDE, len(ext) // 4) + ext
    return header + payload


KEY = b"\x10\x00keyframe"
DELTA = b"\x10\x01delta"


def fields(packet: bytes) -> tuple[int, bool, int, int, int]:
    b1, seq, ts, ssrc = struct.unpack_from("!xBHII", packet)
    return b1 & 0x7F, bool(b1 & 0x80), seq, ts, ssrc


def test_forward_rewrites_payload_type_ssrc_and_keeps_numbering_of_the_first_source() -> None:
    transport = FakeTransport()
    asked: list[int] = []
    out = OutStream("video", Params(), transport, lambda: asked.append(1))
    out.restart("a", keep_extensions=False)
    out.forward(rtp(65535, 4294967000, 7, DELTA), 7, False, 10.0)  # a delta first: held back, a keyframe asked
    assert transport.rtp == []
    assert asked == [1]
    for index, (seq, payload) in enumerate(((0, KEY), (1, DELTA))):
        out.forward(rtp(seq, 1000 + index, 7, payload, ext=b"\x10\xff\x00\x00"), 7, payload == KEY, 10.0)
    assert [fields(p) for p in transport.rtp] == [(120, True, 0, 1000, 0xABCDEF01), (120, True, 1, 1001, 0xABCDEF01)]
    assert transport.rtp[0][0] & 0x10 == 0  # extensions dropped: the two sides did not negotiate the same ones
    assert transport.rtp[0].endswith(KEY)
    assert (out.packets, out.dropped) == (2, 1)


def test_a_new_source_continues_the_receivers_numbering_and_clock() -> None:
    transport = FakeTransport()
    out = OutStream("audio", Params(kind="audio", payload_type=111), transport, lambda: None)
    out.restart("a", keep_extensions=True)
    out.forward(rtp(100, 5000, 1, b"opus"), 1, False, 10.0)
    out.forward(rtp(101, 5960, 1, b"opus"), 1, False, 10.02)
    out.restart("a", keep_extensions=True)  # reconnected: a new SSRC with its own numbering
    out.forward(rtp(40000, 123456, 2, b"opus"), 2, False, 10.52)
    seqs = [fields(p)[2] for p in transport.rtp]
    stamps = [fields(p)[3] for p in transport.rtp]
    assert seqs == [100, 101, 102]
    assert stamps[2] - stamps[1] == round(0.5 * 48000)  # the wall-clock time between them, on the audio clock


def test_the_ring_answers_nacks_with_the_protected_bytes_and_counts_misses() -> None:
    transport = FakeTransport()
    out = OutStream("video", Params(), transport, lambda: None)
    out.restart("a", keep_extensions=True)
    for seq in range(5):
        out.forward(rtp(seq, 0, 7, KEY if seq == 0 else DELTA), 7, seq == 0, 1.0)
    assert out.resend(3)
    assert transport.resent == [b"protected:" + transport.rtp[3]]
    assert not out.resend(9)
    assert not out.resend(3 + forwarding.CACHE_SIZE)  # same slot of the ring, another packet
    assert (out.retransmitted, out.nack_misses) == (1, 2)


def test_gaps_are_asked_again_a_few_times_then_forgotten() -> None:
    stream = InStream("video")
    stream.observe(10, 0.0)
    stream.observe(14, 0.0)  # 11, 12, 13 missing
    assert stream.due_nacks(0.005) == []  # within the reorder wait
    stream.observe(12, 0.006)  # late, not lost
    assert stream.recovered == 1
    assert stream.due_nacks(0.02) == [11, 13]
    assert stream.due_nacks(0.03) == []  # asked 10 ms ago
    assert stream.due_nacks(0.08) == [11, 13]
    assert stream.due_nacks(0.14) == [11, 13]
    assert stream.due_nacks(0.20) == []  # three times is enough
    assert stream.missing == {}
    stream.observe(65535, 1.0)  # a jump backwards of more than MAX_GAP: nothing new is missing
    stream.observe(2000, 1.0)
    assert stream.missing == {}


def test_nack_pli_remb_rr_wire_formats() -> None:
    lost = [65534, 65535, 0, 5, 40]
    packet = forwarding.build_nack(1, 2, lost)
    assert forwarding.parse_nack(packet) == (2, [65534, 65535, 0, 5, 40])
    assert len(packet) == 12 + 4 * 2  # 65534 with a mask for the next four; 40 alone
    assert list(forwarding.rtcp_packets(packet + forwarding.build_pli(1, 3))) == [
        (forwarding.RTCP_RTPFB, 1, packet),
        (forwarding.RTCP_PSFB, 1, forwarding.build_pli(1, 3)),
    ]
    for bitrate in (0, 1, 262_143, 300_000, 2_500_000):
        got = forwarding.parse_remb(forwarding.build_remb(9, bitrate, [5, 6]))
        assert got is not None
        assert got[1] == [5, 6]
        assert bitrate - got[0] <= bitrate >> 17  # the mantissa's precision
    block = bytes(range(24))
    assert forwarding.report_blocks(forwarding.RTCP_RR, 1, forwarding.build_rr(3, [block])) == [block]
    assert list(forwarding.rtcp_packets(b"\x80\xc8\x00\x09short")) == []  # length beyond the data


def test_rtx_is_unwrapped_and_padding_only_probes_are_dropped() -> None:
    original = forwarding.unwrap_rtx(rtp(500, 9000, 0x55, b"\x01\x2cpayload", pt=97), 96, 0x77)
    assert original is not None
    assert fields(original) == (96, True, 300, 9000, 0x77)
    assert original.endswith(b"payload")
    padded = bytearray(rtp(501, 9000, 0x55, b"\x00\x00\x00\x04", pt=97))
    padded[0] |= 0x20
    assert forwarding.unwrap_rtx(bytes(padded), 96, 0x77) is None


def test_keyframe_requests_to_a_source_are_rate_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(forwarding, "now", lambda: clock[0])
    room = RtpRoom(lambda pid: True, None)
    transport = FakeTransport()
    peer = RtpPeer("a", transport=transport)
    peer.incoming["video"].ssrc = 42
    room.peers["a"] = peer
    assert room.request_keyframe("a")
    clock[0] += forwarding.KEYFRAME_REQUEST_INTERVAL / 2
    assert not room.request_keyframe("a")
    clock[0] += forwarding.KEYFRAME_REQUEST_INTERVAL
    assert room.request_keyframe("a")
    assert [struct.unpack_from("!I", p, 8)[0] for p in transport.rtcp] == [42, 42]
    assert not room.request_keyframe("nobody")


def test_remb_to_a_source_is_its_slowest_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(forwarding, "now", lambda: clock[0])
    room = RtpRoom(lambda pid: True, None)
    source = RtpPeer("a", transport=FakeTransport())
    source.incoming["video"].ssrc = 42
    room.peers["a"] = source
    receivers = []
    for pid, ssrc in (("b", 1001), ("c", 1002)):
        peer = RtpPeer(pid, transport=FakeTransport())
        out = OutStream("video", Params(ssrc=ssrc), peer.transport, lambda: None)  # type: ignore[arg-type]
        out.restart("a", keep_extensions=False)
        peer.outs[ssrc] = out
        room.peers[pid] = peer
        receivers.append((peer, ssrc))
    (b, b_ssrc), (c, c_ssrc) = receivers
    room.on_rtcp(b, forwarding.build_remb(1, 900_000, [b_ssrc]))
    clock[0] += forwarding.REMB_INTERVAL
    room.on_rtcp(c, forwarding.build_remb(1, 400_000, [c_ssrc]))
    sent = [forwarding.parse_remb(p) for p in source.transport.rtcp]  # type: ignore[union-attr]
    assert sent == [(900_000, [42]), (400_000, [42])]
