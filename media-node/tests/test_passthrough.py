"""Pass-through pieces in isolation: jitter buffers, the packet 'decoder', PacketTrack, codecs, keyframe hooks."""

from __future__ import annotations

import asyncio
import fractions
from typing import Any

import aiortc.rtcrtpreceiver as rtcrtpreceiver
import av
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender
from aiortc.codecs import depayload
from aiortc.codecs.vpx import Vp8Decoder
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RTCP_PSFB_PLI, RtcpPsfbPacket, RtpPacket

from videoatencion_media import passthrough
from videoatencion_media.passthrough import (
    AudioJitterBuffer,
    PacketDecoder,
    PacketTrack,
    VideoJitterBuffer,
)
from videoatencion_media.rtp_packets import is_vp8_keyframe, vp8_frame_size

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
KEY = b"\x10\x02\x00\x9d\x01\x2a\x40\x01\xf0\x00" + b"k" * 20  # P bit 0: keyframe, 320x240
DELTA = b"\x31" + b"d" * 20


def rtp(seq: int, ts: int, payload: bytes, *, start: bool, marker: bool, ssrc: int = 1234) -> RtpPacket:
    descriptor = bytes([0x10 if start else 0x00])  # S bit, partition 0
    packet = RtpPacket(payload_type=97, sequence_number=seq, timestamp=ts, ssrc=ssrc, marker=int(marker))
    packet.payload = descriptor + payload
    packet._data = depayload(VP8, packet.payload)  # type: ignore[attr-defined]
    return packet


def frame_packets(seq: int, ts: int, data: bytes, parts: int = 2) -> list[RtpPacket]:
    size = -(-len(data) // parts)
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    return [rtp(seq + i, ts, c, start=i == 0, marker=i == len(chunks) - 1) for i, c in enumerate(chunks)]


def test_vp8_header_parsing() -> None:
    assert is_vp8_keyframe(KEY)
    assert not is_vp8_keyframe(DELTA)
    assert vp8_frame_size(KEY) == (320, 240)
    assert vp8_frame_size(DELTA) is None


def test_video_frame_released_on_marker_bit() -> None:
    stock = JitterBuffer(capacity=512, is_video=True)
    ours = VideoJitterBuffer()
    packets = frame_packets(100, 3000, KEY)
    results_stock = [stock.add(p)[1] for p in packets]
    results_ours = [ours.add(p)[1] for p in packets]
    assert results_stock == [None, None]  # stock aiortc waits for the next frame's first packet
    assert results_ours[0] is None
    frame = results_ours[1]
    assert frame is not None
    assert frame.data == KEY
    assert frame.timestamp == 3000
    assert ours.ssrc == 1234


def test_video_gap_is_skipped_then_waits_for_keyframe(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(passthrough, "_now", lambda: now[0])
    jb = VideoJitterBuffer()
    assert jb.add(frame_packets(0, 0, KEY)[0])[1] is None
    assert jb.add(frame_packets(0, 0, KEY)[1])[1] is not None
    # Frame 2 loses its first packet for good; frames 3 (delta) and 4 (key) arrive.
    lost = frame_packets(2, 3000, DELTA)
    pli, frame = jb.add(lost[1])
    assert frame is None
    now[0] += passthrough.VIDEO_GAP_TIMEOUT + 0.1
    delta3 = frame_packets(4, 6000, DELTA)
    pli, frame = jb.add(delta3[0])
    assert pli is True  # picture loss reported: the sender should send a keyframe
    assert frame is None
    pli, frame = jb.add(delta3[1])
    assert frame is None  # a delta frame after a loss is dropped (its reference is gone)
    assert jb.frames_dropped >= 1
    key4 = frame_packets(6, 9000, KEY)
    jb.add(key4[0])
    pli, frame = jb.add(key4[1])
    assert frame is not None
    assert frame.data == KEY
    assert jb.gaps_skipped == 1


def test_video_batch_releases_all_completed_frames() -> None:
    jb = VideoJitterBuffer()
    for p in frame_packets(8, -3000 & 0xFFFFFFFF, KEY):
        jb.add(p)
    first = frame_packets(10, 0, KEY)
    second = frame_packets(12, 3000, DELTA)
    third = frame_packets(14, 6000, DELTA)
    jb.add(first[1])  # first packet of frame 1 missing for a moment (reordered)
    for p in second + third:
        assert jb.add(p)[1] is None
    batch = jb.add(first[0])[1]  # the late packet completes three frames at once
    assert batch is not None
    decoder = PacketDecoder("video")
    batch.timestamp = 500  # what the receiver's timestamp mapper does
    packets: list[Any] = decoder.decode(batch)
    assert [p.pts for p in packets] == [500, 3500, 6500]
    assert [p.is_keyframe for p in packets] == [True, False, False]
    assert all(p.time_base == fractions.Fraction(1, 90000) for p in packets)


def test_delivery_maps_timestamps_and_calls_the_sink() -> None:
    queued: list[Any] = []
    jb = VideoJitterBuffer()
    jb.delivery = passthrough._Delivery("video", queued.append)
    base = 0xFFFFFFFF - 2999  # the RTP clock wraps after the first frame
    assert jb.add(frame_packets(0, base, KEY)[0]) == (False, None)
    assert jb.add(frame_packets(0, base, KEY)[1]) == (False, None)  # delivered, not returned to the receiver
    assert [(p.pts, p.is_keyframe, bytes(p)) for p in queued] == [(0, True, KEY)]
    sunk: list[Any] = []

    def sink(packet: Any) -> None:
        sunk.append(packet)
        raise RuntimeError("a failing sink must not break aiortc's RTP path")

    jb.delivery.sink = sink
    for p in frame_packets(2, 0, DELTA):  # 3000 ticks after the first frame, across the wrap
        jb.add(p)
    assert len(queued) == 1
    assert [(p.pts, p.is_keyframe, p.time_base) for p in sunk] == [(3000, False, fractions.Fraction(1, 90000))]
    audio = AudioJitterBuffer()
    audio.delivery = passthrough._Delivery("audio", queued.append)
    packet = RtpPacket(payload_type=111, sequence_number=7, timestamp=48000, ssrc=1)
    packet._data = b"opus"  # type: ignore[attr-defined]
    assert audio.add(packet) == (False, None)
    assert (queued[-1].pts, queued[-1].time_base, bytes(queued[-1])) == (0, fractions.Fraction(1, 48000), b"opus")


async def test_packet_sink_needs_a_prepared_receiver() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    receiver = pc.addTransceiver("video").receiver
    with pytest.raises(ValueError, match="not prepared"):
        passthrough.set_packet_sink(receiver, lambda packet: None)
    passthrough.prepare_receiver(receiver, "video")
    passthrough.set_packet_sink(receiver, lambda packet: None)  # before receive(): kept for when it starts
    await pc.close()


def test_audio_forwarded_immediately_even_with_loss() -> None:
    stock = JitterBuffer(capacity=16, prefetch=4)
    ours = AudioJitterBuffer()
    out_stock = out_ours = 0
    for seq in range(40):
        if seq % 10 == 5:
            continue  # lost
        packet = RtpPacket(payload_type=111, sequence_number=seq, timestamp=seq * 960, ssrc=1)
        packet._data = b"opus"  # type: ignore[attr-defined]
        out_stock += stock.add(packet)[1] is not None
        out_ours += ours.add(packet)[1] is not None
    assert out_ours == 36  # every packet that arrived, at once
    assert out_stock < 30  # stock: prefetch 4 and a stall on each loss
    late = RtpPacket(payload_type=111, sequence_number=5, timestamp=5 * 960, ssrc=1)
    late._data = b"opus"  # type: ignore[attr-defined]
    assert ours.add(late)[1] is None
    assert ours.late == 1


def test_audio_decoder_packet() -> None:
    decoded: list[Any] = PacketDecoder("audio").decode(JitterFrame(b"\xfc\x00", 960))
    (packet,) = decoded
    assert isinstance(packet, av.Packet)
    assert packet.pts == 960
    assert packet.time_base == fractions.Fraction(1, 48000)
    assert bytes(packet) == b"\xfc\x00"


def test_install_is_idempotent_and_only_prepared_receivers_pass_through() -> None:
    passthrough.install()
    patched = rtcrtpreceiver.get_decoder  # type: ignore[attr-defined]
    passthrough.install()
    assert rtcrtpreceiver.get_decoder is patched  # type: ignore[attr-defined]
    plain = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
    assert isinstance(patched(plain), Vp8Decoder)  # clients in the same process still decode
    marked = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
    setattr(marked, passthrough._PASSTHROUGH_MARK, True)
    assert isinstance(patched(marked), PacketDecoder)


def packet(pts: int, keyframe: bool, kind: str = "video", data: bytes = b"x") -> av.Packet[Any]:
    p = av.Packet(data)
    p.pts = pts
    p.time_base = fractions.Fraction(1, 90000 if kind == "video" else 48000)
    p.is_keyframe = keyframe
    return p


async def test_packet_track_waits_for_keyframe_and_keeps_order() -> None:
    asked: list[int] = []
    track = PacketTrack("video", on_keyframe_needed=lambda: asked.append(1))
    assert track.push(packet(0, False)) is False
    assert asked == [1]
    assert track.push(packet(3000, True, data=b"key"))
    assert track.push(packet(6000, False, data=b"delta"))
    first = await track.recv()
    second = await track.recv()
    assert (bytes(first), first.pts, first.is_keyframe) == (b"key", 0, True)
    assert (bytes(second), second.pts) == (b"delta", 3000)


async def test_packet_track_recv_waits_for_push() -> None:
    track = PacketTrack("audio")
    pending = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.01)
    assert not pending.done()
    track.push(packet(960, True, "audio"))
    assert (await asyncio.wait_for(pending, 1)).pts == 0
    track.stop()


async def test_packet_track_overflow() -> None:
    audio = PacketTrack("audio", max_queue=3)
    for n in range(5):
        audio.push(packet(n * 960, True, "audio", data=bytes([n])))
    assert [bytes(await audio.recv()) for _ in range(3)] == [b"\x02", b"\x03", b"\x04"]  # oldest dropped
    asked: list[int] = []
    video = PacketTrack("video", max_queue=3, on_keyframe_needed=lambda: asked.append(1))
    video.push(packet(0, True))
    for n in range(1, 4):
        video.push(packet(n * 3000, False))
    # Overflow: the queue is dropped and deltas wait for the next keyframe.
    assert video.dropped == 4
    assert asked
    assert video.push(packet(5 * 3000, False)) is False
    assert video.push(packet(6 * 3000, True, data=b"k"))
    assert bytes(await video.recv()) == b"k"


async def test_packet_track_rebases_when_the_source_restarts() -> None:
    track = PacketTrack("video")
    track.push(packet(900_000, True))
    track.push(packet(903_000, False))
    await asyncio.sleep(0.05)
    track.restart()  # a reconnection: the source's timeline starts again at 0
    assert track.push(packet(0, False)) is False  # waits for a keyframe
    track.push(packet(3000, True))
    pts = [(await track.recv()).pts for _ in range(3)]
    assert pts[0] == 0
    assert pts[1] == 3000
    assert pts[2] is not None
    assert pts[2] > 3000 + 0.04 * 90000  # continues after the wall-clock gap, never goes back


async def test_prefer_vp8_opus_negotiates_only_vp8_and_opus() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("audio")
    pc.addTransceiver("video")
    passthrough.prefer_vp8_opus(pc)
    await pc.setLocalDescription(await pc.createOffer())
    assert pc.localDescription is not None
    sdp = pc.localDescription.sdp
    await pc.close()
    assert "VP8/90000" in sdp
    assert "opus/48000" in sdp
    assert "H264" not in sdp
    assert "PCMU" not in sdp
    assert "rtx/90000" in sdp


async def test_keyframe_request_hooks() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    transceiver = pc.addTransceiver("video")
    sender: RTCRtpSender = transceiver.sender
    calls: list[str] = []
    passthrough.on_keyframe_request(sender, lambda: calls.append("first"))
    passthrough.on_keyframe_request(sender, lambda: calls.append("second"))  # replaces
    await sender._handle_rtcp_packet(RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=sender._ssrc))
    assert calls == ["second"]

    receiver = transceiver.receiver
    passthrough.prepare_receiver(receiver, "video")
    sent: list[int] = []

    async def fake_pli(media_ssrc: int) -> None:
        sent.append(media_ssrc)

    receiver._send_rtcp_pli = fake_pli  # type: ignore[method-assign]
    jb = getattr(receiver, passthrough.JITTER_BUFFER_ATTRIBUTE)
    assert isinstance(jb, VideoJitterBuffer)
    jb.ssrc = 4321
    assert passthrough.request_keyframe(receiver) is True
    assert passthrough.request_keyframe(receiver) is False  # rate-limited
    await asyncio.sleep(0)
    assert sent == [4321]
    assert passthrough.receiver_stats(receiver)["keyframe_requests_sent"] == 1
    await pc.close()
