"""A participant at the RTP level for the RTP path's tests: aiortc for ICE/DTLS/SDP, hand-made RTP packets on top.

It sends exactly the packets a test asks for (VP8-shaped payloads with a chosen keyframe bit, Opus-shaped bytes), keeps
what it sent to answer the node's NACKs (over RTX when negotiated), and records every RTP/RTCP packet it receives, so
tests can count packets exactly and read their rewritten headers.
"""

from __future__ import annotations

import random
import re
import struct
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from peers import wait_for

from videoatencion_media import forwarding, passthrough
from videoatencion_media.passthrough import StreamParameters
from videoatencion_media.rtp_packets import parse_rtp

CLOCK_STEP = {"audio": 960, "video": 3000}


@dataclass(frozen=True)
class Got:
    payload_type: int
    marker: bool
    seq: int
    ts: int
    ssrc: int
    payload: bytes


def vp8_payload(index: int, keyframe: bool, size: int = 200) -> bytes:
    """A VP8-shaped payload: descriptor with S=1, partition 0 (one packet per frame), then P (0 = keyframe)."""
    body = bytes([0x00 if keyframe else 0x01]) + index.to_bytes(4, "big")
    return b"\x10" + body + bytes(size - len(body) - 1)


def renumber(sdp: str, payload_types: dict[int, int]) -> str:
    """The offer with payload types renumbered (aiortc then adopts the answer's numbers): as another browser would."""

    def line(text: str) -> str:
        if text.startswith("m="):
            parts = text.split(" ")
            return " ".join(parts[:3] + [str(payload_types.get(int(p), p)) for p in parts[3:]])
        match = re.match(r"a=(rtpmap|fmtp|rtcp-fb):(\d+)(.*)", text)
        if match:
            rest = re.sub(r"apt=(\d+)", lambda m: f"apt={payload_types.get(int(m[1]), m[1])}", match[3])
            return f"a={match[1]}:{payload_types.get(int(match[2]), match[2])}{rest}"
        return text

    return "\r\n".join(line(text) for text in sdp.split("\r\n"))


def parse(packet: bytes) -> Got:
    header = parse_rtp(packet)
    assert header is not None
    return Got(packet[1] & 0x7F, header.marker, header.sequence, header.timestamp, header.ssrc, packet[header.start :])


@dataclass
class RtpClient:
    order: tuple[str, ...] = ("audio", "video")
    seed: int = 1
    payload_types: dict[int, int] = field(default_factory=dict)  # renumbered in the offer the node sees
    pc: RTCPeerConnection = field(init=False)
    send_params: dict[str, StreamParameters] = field(default_factory=dict)
    recv_params: dict[str, StreamParameters] = field(default_factory=dict)
    received: dict[str, list[Got]] = field(default_factory=lambda: {"audio": [], "video": []})
    rtcp: list[tuple[int, int, bytes]] = field(default_factory=list)
    drop_incoming: set[int] = field(default_factory=set)  # video sequence numbers to lose once on arrival
    transport: passthrough.RtpTransport | None = None
    sent: dict[str, dict[int, bytes]] = field(default_factory=lambda: {"audio": {}, "video": {}})
    rtx_sent: int = 0

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)  # noqa: S311 (test data)
        self.seq = {k: rng.randrange(0, 65536) for k in ("audio", "video")}
        self.ts = {k: rng.randrange(0, 2**32) for k in ("audio", "video")}
        self.rtx_seq = rng.randrange(0, 65536)
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        for kind in self.order:
            transceiver = self.pc.addTransceiver(kind, direction="sendrecv")
            passthrough.take_over_sender(transceiver.sender, kind, self._sending)
            passthrough.take_over_receiver(transceiver.receiver, kind, self._receiving)

    def _sending(self, parameters: StreamParameters) -> None:
        self.send_params[parameters.kind] = parameters

    def _receiving(self, parameters: StreamParameters) -> None:
        self.recv_params[parameters.kind] = parameters

    async def join(self, media: Any, pid: str) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        assert self.pc.localDescription is not None
        answer = await media.connect(pid, renumber(self.pc.localDescription.sdp, self.payload_types))
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        self.transport = passthrough.RtpTransport(self.pc, self._on_rtp, self._on_rtcp)
        self.transport.lose = self._lose
        await wait_for(lambda: len(self.send_params) == 2 and len(self.recv_params) == 2, timeout=30)

    def _lose(self, datagram: bytes) -> bool:
        """Drop a video packet named in ``drop_incoming`` once, before SRTP (SRTP leaves the RTP header readable)."""
        video = self.recv_params.get("video")
        if video is None or len(datagram) < 12 or 192 <= datagram[1] <= 223:
            return False
        seq = (datagram[2] << 8) | datagram[3]
        if datagram[1] & 0x7F == video.payload_type and seq in self.drop_incoming:
            self.drop_incoming.discard(seq)
            return True
        return False

    def _on_rtp(self, packet: bytes, arrival: float) -> None:
        got = parse(packet)
        for kind, parameters in self.recv_params.items():
            if got.payload_type == parameters.payload_type:
                self.received[kind].append(got)

    def _on_rtcp(self, packet: bytes) -> None:
        for packet_type, count, part in forwarding.rtcp_packets(packet):
            self.rtcp.append((packet_type, count, part))
            if packet_type == forwarding.RTCP_RTPFB and count == 1:
                self._answer_nack(part)

    def _answer_nack(self, packet: bytes) -> None:
        media_ssrc, lost = forwarding.parse_nack(packet)
        video = self.send_params["video"]
        if media_ssrc != video.ssrc or self.transport is None:
            return
        for seq in lost:
            original = self.sent["video"].get(seq)
            if original is None:
                continue
            if video.rtx_payload_type is not None and video.rtx_ssrc is not None:
                self.rtx_seq = (self.rtx_seq + 1) & 0xFFFF
                header = bytearray(original[:12])
                header[1] = (original[1] & 0x80) | video.rtx_payload_type
                timestamp = struct.unpack_from("!I", original, 4)[0]
                struct.pack_into("!HII", header, 2, self.rtx_seq, timestamp, video.rtx_ssrc)
                self.transport.send_rtp(bytes(header) + original[2:4] + original[12:])
                self.rtx_sent += 1

    def packet(self, kind: str, payload: bytes, *, marker: bool = True) -> tuple[int, bytes]:
        parameters = self.send_params[kind]
        seq = self.seq[kind]
        self.seq[kind] = (seq + 1) & 0xFFFF
        ts = self.ts[kind]
        if marker:
            self.ts[kind] = (ts + CLOCK_STEP[kind]) & 0xFFFFFFFF
        header = struct.pack(
            "!BBHII", 0x80, (0x80 if marker else 0) | parameters.payload_type, seq, ts, parameters.ssrc or 0
        )
        data = header + payload
        self.sent[kind][seq] = data
        return seq, data

    def send(self, kind: str, payload: bytes, *, marker: bool = True, lose: bool = False) -> int:
        """Send one packet (or, ``lose``, keep it for a NACK as if lost on the way); its sequence number."""
        assert self.transport is not None
        seq, data = self.packet(kind, payload, marker=marker)
        if not lose:
            assert self.transport.send_rtp(data) is not None
        return seq

    def send_rtcp(self, packet: bytes) -> None:
        assert self.transport is not None
        assert self.transport.send_rtcp(packet)

    def feedback(self, packet_type: int, count: int) -> list[bytes]:
        return [part for t, c, part in self.rtcp if t == packet_type and c == count]

    async def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        await self.pc.close()
