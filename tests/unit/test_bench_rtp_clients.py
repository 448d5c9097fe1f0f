"""The RTP-level load clients' pure parts (bench/rtp_clients.py): VP8 packetisation, frame counting, NACKs, loss.

No network and no peer connection: packets are built and fed by hand.
"""

from __future__ import annotations

import itertools
import os
import random
import struct

import pytest

from bench import procstat
from bench.media import LoadResult, client_configs, source_address
from bench.media_tokens import TokenIssuer
from bench.rtp_clients import (
    ABS_SEND_TIME_URI,
    MAX_PAYLOAD,
    MID_URI,
    NACK_INTERVAL,
    NACK_RETRIES,
    PLI_AFTER,
    REORDER_WAIT,
    RTCP_PSFB,
    RTCP_RTPFB,
    SEND_CACHE,
    ArrivalLoss,
    AudioReceiver,
    LossInjector,
    OutStream,
    PreparedMedia,
    VideoReceiver,
    build_nack,
    build_pli,
    build_rr,
    iter_rtcp,
    lateness_summary,
    parse_nack_fci,
    parse_rtp,
    unwrap,
    vp8_chunks,
    vp8_depacketize,
    vp8_descriptor_length,
    vp8_packetize,
    vp8_picture_id,
    vp8_starts_frame,
)
from videoatencion_media.passthrough import StreamParameters


def keyframe(size: int, width: int = 640, height: int = 480) -> bytes:
    """A VP8 keyframe's first bytes (P=0, start code, size) and filler up to ``size`` bytes."""
    header = bytes([0x50, 0x2A, 0x00, 0x9D, 0x01, 0x2A]) + width.to_bytes(2, "little") + height.to_bytes(2, "little")
    return header + bytes(i % 251 for i in range(size - len(header)))


def interframe(size: int) -> bytes:
    return bytes([0x51]) + bytes((i * 7) % 253 for i in range(size - 1))


# ---- RFC 7741 ----


@pytest.mark.parametrize("size", [1, 500, MAX_PAYLOAD - 4, MAX_PAYLOAD - 3, 5000, 40_000])
def test_vp8_packetisation_round_trips_within_the_payload_limit(size):
    frame = keyframe(max(size, 10))[:size]
    payloads = vp8_packetize(frame, picture_id=1234)

    assert vp8_depacketize(payloads) == frame
    assert all(len(p) <= MAX_PAYLOAD for p in payloads)
    assert [vp8_starts_frame(p) for p in payloads] == [True] + [False] * (len(payloads) - 1)
    assert {vp8_picture_id(p) for p in payloads} == {1234}
    assert all(vp8_descriptor_length(p) == 4 for p in payloads)
    sizes = [len(c) for c in vp8_chunks(frame)]
    assert max(sizes) - min(sizes) <= 1  # near-equal, as libwebrtc splits


def test_vp8_picture_id_is_15_bits_and_wraps():
    assert vp8_picture_id(vp8_packetize(b"x", 0x7FFF)[0]) == 0x7FFF
    assert vp8_picture_id(vp8_packetize(b"x", 0x8000 + 5)[0]) == 5


def test_vp8_descriptor_lengths_of_other_senders():
    assert vp8_descriptor_length(bytes([0x10, 0x00])) == 1  # no X: one byte
    assert vp8_descriptor_length(bytes([0x90, 0x80, 0x05, 0x00])) == 3  # 7-bit picture id
    assert vp8_descriptor_length(bytes([0x90, 0xE0, 0x80, 0x01, 0x02, 0x03, 0x00])) == 6  # 15-bit id, L, T
    assert not vp8_starts_frame(bytes([0x11, 0x00]))  # S=1 but partition 1


# ---- RTP headers ----


def test_rtp_header_with_extensions_parses_back():
    parameters = StreamParameters("video", 97, 98, 0x11223344, 0x55667788, {MID_URI: 1, ABS_SEND_TIME_URI: 3}, "1")
    stream = OutStream("video", parameters, PreparedMedia((), (), ()), 0.0, random.Random(1))  # noqa: S311 - stream numbering, not a secret
    packet = stream.packet(b"payload", True, 123_456, 1000.5)

    header = parse_rtp(packet)
    assert header is not None
    assert (header.payload_type, header.marker, header.timestamp, header.ssrc) == (97, True, 123_456, 0x11223344)
    assert packet[header.header_length : header.payload_end] == b"payload"
    assert header.header_length == stream.header_length == 12 + 4 + 8  # mid (2 bytes) + abs-send-time (4), padded
    assert parse_rtp(b"\x00" * 20) is None  # version 0


def test_sequence_numbers_unwrap_across_the_16_bit_wrap():
    first = unwrap(65534, None, 16)
    assert unwrap(1, first, 16) == first + 3
    assert unwrap(65530, first, 16) == first - 4


# ---- Frame counting ----


Packet = tuple[int, int, bool, bytes]  # sequence, timestamp, marker, payload


def video_packets(frames: list[bytes], first_sequence: int = 65530, timestamp: int = 1000) -> list[Packet]:
    """(sequence, timestamp, marker, payload) of consecutive frames, sequence numbers wrapping past 65535."""
    packets = []
    sequence = first_sequence
    for index, frame in enumerate(frames):
        payloads = vp8_packetize(frame, index)
        for position, payload in enumerate(payloads):
            packets.append((sequence & 0xFFFF, timestamp + 3000 * index, position == len(payloads) - 1, payload))
            sequence += 1
    return packets


def feed(receiver: VideoReceiver, packets: list[Packet], now: float = 10.0) -> int:
    return sum(receiver.add_packet(*packet, now) for packet in packets)


def test_frames_in_order_are_counted_with_keyframes_and_size():
    receiver = VideoReceiver()
    packets = video_packets([keyframe(3000), interframe(2500), interframe(800)])

    assert feed(receiver, packets) == 3
    assert (receiver.frames, receiver.keyframes) == (3, 1)
    assert receiver.sizes == {"640x480": 1}
    assert receiver.lost == 0
    assert not receiver.holes


def test_a_frame_with_a_hole_completes_when_the_packet_comes_late():
    receiver = VideoReceiver()
    packets = video_packets([keyframe(3000), interframe(2500)])
    late = packets.pop(1)  # the keyframe's second packet

    assert feed(receiver, packets) == 1  # the inter frame only
    assert receiver.lost == 1
    assert len(receiver.holes) == 1
    assert receiver.add_packet(*late, 10.005)
    assert (receiver.frames, receiver.keyframes, receiver.lost) == (2, 1, 0)
    assert not receiver.holes
    assert receiver.recovered == 0  # it came before any NACK


def test_reordered_and_duplicated_packets_count_each_frame_once():
    receiver = VideoReceiver()
    packets = video_packets([keyframe(5000), interframe(3000), interframe(2000)])
    shuffled = packets[::-1] + packets[:3]

    assert feed(receiver, shuffled) == 3
    assert receiver.duplicates == 3
    assert receiver.frames == 3


def test_a_frame_without_its_start_or_its_marker_is_never_complete_and_is_given_up():
    receiver = VideoReceiver()
    packets = video_packets([keyframe(3000), interframe(3000), interframe(500)])  # 3 + 3 + 1 packets
    assert [p[2] for p in packets] == [False, False, True, False, False, True, True]
    packets = [p for i, p in enumerate(packets) if i not in (2, 3)]  # the keyframe's marker, the next frame's start

    assert feed(receiver, packets) == 1
    assert receiver.stale(10.0 + PLI_AFTER / 2) == 0
    assert receiver.stale(10.0 + PLI_AFTER + 0.01) == 2
    assert receiver.abandoned == 2


def test_audio_timestamps_unwrap_and_losses_count():
    receiver = AudioReceiver()
    for index in range(10):
        if index != 4:
            receiver.add_packet(index, (2**32 - 3 * 960 + index * 960) & 0xFFFFFFFF, 1.0 + index * 0.02)
    timestamps = [ts for _, ts in receiver.arrivals]
    assert all(b - a in (960, 1920) for a, b in itertools.pairwise(timestamps))
    assert receiver.lost == 1


# ---- NACK ----


def test_holes_are_nacked_after_the_reorder_wait_then_retried_then_given_up():
    receiver = VideoReceiver()
    packets = video_packets([interframe(4000)], first_sequence=100)
    feed(receiver, [packets[0], packets[3]], now=0.0)  # 101 and 102 missing

    assert receiver.due_nacks(REORDER_WAIT / 2) == []
    ext = sorted(receiver.holes)
    assert receiver.due_nacks(REORDER_WAIT) == ext
    assert receiver.due_nacks(REORDER_WAIT + NACK_INTERVAL / 2) == []
    now = REORDER_WAIT
    for _ in range(NACK_RETRIES - 1):
        now += NACK_INTERVAL
        assert receiver.due_nacks(now) == ext
    assert receiver.due_nacks(now + NACK_INTERVAL) == []  # asked NACK_RETRIES times
    assert receiver.due_nacks(now + 2.5 * NACK_INTERVAL) == []  # and then given up
    assert receiver.given_up == 2
    assert not receiver.holes
    assert receiver.nacked == 2 * NACK_RETRIES


def test_a_retransmission_after_a_nack_counts_as_recovered():
    receiver = VideoReceiver()
    packets = video_packets([interframe(3000)], first_sequence=7)
    feed(receiver, [packets[0], packets[2]], now=0.0)
    assert len(receiver.due_nacks(1.0)) == 1
    assert receiver.add_packet(*packets[1], 1.01)
    assert receiver.recovered == 1


@pytest.mark.parametrize(
    "lost",
    [[5], [5, 6, 7], [5, 21], [5, 22], list(range(65530, 65560)), [100, 300, 301, 317, 318]],
)
def test_nack_round_trip(lost):
    packet = build_nack(0xAAAA, 0xBBBB, lost)
    ((packet_type, fmt, whole),) = list(iter_rtcp(packet))

    assert (packet_type, fmt) == (RTCP_RTPFB, 1)
    assert whole == packet
    assert struct.unpack_from("!II", packet, 4) == (0xAAAA, 0xBBBB)
    assert (int.from_bytes(packet[2:4], "big") + 1) * 4 == len(packet)
    assert parse_nack_fci(packet[12:]) == [s & 0xFFFF for s in lost]


def test_a_compound_rtcp_packet_is_split_into_its_parts():
    compound = build_rr(1, []) + build_pli(1, 2) + build_nack(1, 2, [9])
    assert [(t, f) for t, f, _ in iter_rtcp(compound)] == [(201, 0), (RTCP_PSFB, 1), (RTCP_RTPFB, 1)]
    assert list(iter_rtcp(compound[:-1]))[-1][0] == RTCP_PSFB  # a truncated last part is left out


# ---- Retransmission ----


def sent_stream(rtx: bool) -> tuple[OutStream, list[bytes]]:
    parameters = StreamParameters("video", 97, 98 if rtx else None, 1111, 2222 if rtx else None, {MID_URI: 1}, "1")
    media = PreparedMedia((vp8_chunks(keyframe(3000)), vp8_chunks(interframe(2000))), (True, False), (b"opus",))
    stream = OutStream("video", parameters, media, 0.0, random.Random(3))  # noqa: S311 - stream numbering, not a secret
    sent = []
    for _ in range(3):
        for payload, marker in stream.next_payloads():
            plain = stream.packet(payload, marker, 90_000, 0.0)
            stream.remember(plain, b"protected:" + plain[2:4])
            sent.append(plain)
        stream.count += 1
    return stream, sent


def test_a_nack_is_answered_with_rtx_when_negotiated():
    stream, sent = sent_stream(rtx=True)
    original = sent[2]
    sequence = int.from_bytes(original[2:4], "big")

    packet, protected = stream.retransmission(sequence)
    assert protected is None
    assert packet is not None
    header, first = parse_rtp(packet), parse_rtp(original)
    assert header is not None
    assert first is not None
    assert (header.payload_type, header.ssrc, header.timestamp) == (98, 2222, first.timestamp)
    assert header.marker == first.marker
    body = packet[header.header_length :]
    assert int.from_bytes(body[:2], "big") == sequence
    assert body[2:] == original[first.header_length :]
    again, _ = stream.retransmission(sequence)
    assert again is not None
    assert parse_rtp(again).sequence == (header.sequence + 1) & 0xFFFF  # type: ignore[union-attr]


def test_without_rtx_the_cached_protected_packet_is_sent_again():
    stream, sent = sent_stream(rtx=False)
    sequence = int.from_bytes(sent[0][2:4], "big")
    assert stream.retransmission(sequence) == (None, b"protected:" + sent[0][2:4])
    assert stream.retransmission((sequence + SEND_CACHE) & 0xFFFF) == (None, None)  # not (or no longer) cached


def test_a_keyframe_request_jumps_to_the_next_keyframe_of_the_file():
    media = PreparedMedia(tuple((b"x",) for _ in range(6)), (True, False, False, True, False, False), ())
    assert [media.next_keyframe(i) for i in range(6)] == [0, 3, 3, 3, 0, 0]


# ---- Loss and pacing ----


def test_loss_injection_is_deterministic_per_seed_and_name():
    def decisions(seed: int, name: str) -> list[bool]:
        injector = LossInjector(0.02, seed, name)
        return [injector.drop() for _ in range(20_000)]

    first = decisions(17, "0/agent/out")
    assert first == decisions(17, "0/agent/out")
    assert first != decisions(17, "0/agent/in")
    assert first != decisions(18, "0/agent/out")
    assert 300 < sum(first) < 500  # about 2 %
    never = LossInjector(0.0, 17, "x")
    assert not any(never.drop() for _ in range(1000))
    assert never.dropped == 0


def test_lateness_percentiles():
    summary = lateness_summary({0: 50, 2: 40, 5: 9, 40: 1})  # type: ignore[arg-type]
    assert (summary["p50_ms"], summary["p99_ms"], summary["max_ms"], summary["frames"]) == (0, 5, 40, 100)


# ---- The orchestrator's bookkeeping ----


def test_every_client_gets_its_own_loopback_address():
    addresses = {source_address(call, role) for call in range(300) for role in ("citizen", "agent")}
    assert len(addresses) == 600
    assert all(a.startswith("127.0.") and not a.endswith(".0") for a in addresses)


def test_calls_are_split_over_two_processes_with_both_ends_together():
    configs = client_configs("http://node", 5, __import__("pathlib").Path("m.webm"), TokenIssuer(), "t", 0.02)
    assert len(configs) == 2
    for config in configs:
        calls = [c["call"] for c in config["clients"]]
        assert all(calls.count(call) == 2 for call in calls)
        assert config["loss"] == 0.02


def test_a_run_is_starved_by_its_own_cpu_or_late_pacing_not_by_a_busy_machine(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    calm = LoadResult("rtp", 8, node_cores=0.6, client_cores=0.5, machine_cores=1.95, pacing_p99_ms=6)
    assert not calm.starved
    assert calm.busy_machine
    assert LoadResult("rtp", 16, node_cores=1.0, client_cores=0.9, machine_cores=1.9, pacing_p99_ms=6).starved
    assert LoadResult("rtp", 16, node_cores=0.5, client_cores=0.5, machine_cores=1.0, pacing_p99_ms=40).starved


def test_proc_stat_cpu_with_reaped_children():
    stat = "4242 (python (bench) x) S 1 4242 4242 0 -1 4194560 5000 0 0 0 1500 250 3 4 20 0 7 0 100 1000 200"
    assert procstat.parse_stat_cpu_ticks(stat) == 1750
    assert procstat.parse_stat_cpu_ticks(stat, reaped=True) == 1757


def test_proc_smaps_rollup_pss_in_bytes():
    text = "55d0-7ffd ---p 00000000 00:00 0  [rollup]\nRss:    1744 kB\nPss:     355 kB\nPss_Anon:  112 kB\n"
    assert procstat.parse_smaps_rollup_pss_bytes(text) == 355 * 1024
    assert procstat.parse_smaps_rollup_pss_bytes("Rss: 1 kB\n") == 0


def test_arrival_loss_drops_rtp_only_and_counts_what_arrived():
    arrival = ArrivalLoss(LossInjector(1.0, 1, "in"))
    rtp = bytes([0x90, 97]) + bytes(20)
    rtcp = bytes([0x81, 201]) + bytes(30)
    assert arrival(rtp)
    assert not arrival(rtcp)
    assert (arrival.arrived, arrival.loss.dropped) == (1, 1)


def test_own_cpu_leaves_children_out():
    assert 0 < procstat.own_cpu_seconds(os.getpid()) <= procstat.cpu_seconds(os.getpid(), reaped=True)
    assert procstat.own_cpu_seconds(2**22 + 1) == 0.0  # no such process
