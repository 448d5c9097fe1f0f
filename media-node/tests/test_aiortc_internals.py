"""Tripwire: every aiortc internal that passthrough.py relies on still exists with the shape it expects.

When one of these fails after an aiortc upgrade, read the new aiortc source and update passthrough.py (and this test).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import aiortc
import aiortc.rtcdtlstransport as rtcdtlstransport
import aiortc.rtcrtpreceiver as rtcrtpreceiver
import aiortc.rtcrtpsender as rtcrtpsender
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCRtpSender
from aiortc.codecs.base import Encoder
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket

from videoatencion_media import passthrough


def changed(what: str) -> str:
    return f"aiortc upgrade changed {what}; update passthrough.py"


def parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


def source(function: Any) -> str:
    return inspect.getsource(function)


def test_aiortc_version_is_the_one_passthrough_was_written_for() -> None:
    assert aiortc.__version__.startswith(passthrough.AIORTC_VERSION_PREFIX), changed(
        f"its version to {aiortc.__version__} (passthrough.py was checked against 1.16)"
    )


def test_receiver_decoder_lookup() -> None:
    get_decoder = getattr(rtcrtpreceiver, "get_decoder", None)
    assert callable(get_decoder), changed("aiortc.rtcrtpreceiver.get_decoder (gone)")
    original = passthrough._original_get_decoder or get_decoder
    assert parameters(original) == ["codec"], changed("get_decoder's signature")
    worker = getattr(rtcrtpreceiver, "decoder_worker", None)
    assert worker is not None, changed("aiortc.rtcrtpreceiver.decoder_worker (gone)")
    text = source(worker)
    assert "get_decoder(codec)" in text, changed("how decoder_worker obtains its decoder (get_decoder(codec))")
    assert "decoder.decode(encoded_frame)" in text, changed("decoder_worker's call decoder.decode(encoded_frame)")
    assert "output_q.put(frame)" in text, changed("decoder_worker handing decoded items to the track as they are")
    assert "av.FFmpegError" in text, changed("decoder_worker's error handling")


def test_receiver_jitter_buffer_and_rtp_path() -> None:
    init = source(RTCRtpReceiver.__init__)
    assert "self.__jitter_buffer = JitterBuffer(capacity=16, prefetch=4)" in init, changed("the audio jitter buffer")
    assert "self.__jitter_buffer = JitterBuffer(capacity=512, is_video=True)" in init, changed(
        "the video jitter buffer"
    )
    handle = source(RTCRtpReceiver._handle_rtp_packet)
    for fragment in (
        "packet._data = depayload(codec, packet.payload)",
        "pli_flag, encoded_frame = self.__jitter_buffer.add(packet)",
        "await self._send_rtcp_pli(packet.ssrc)",
        "encoded_frame.timestamp = self.__timestamp_mapper.map(",
        "self.__decoder_queue.put((codec, encoded_frame))",
        "packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)",
    ):
        assert fragment in handle, changed(f"RTCRtpReceiver._handle_rtp_packet ({fragment!r})")
    # Direct delivery: a jitter buffer that returns no frame keeps the receiver from queueing to its decoder thread.
    assert "if encoded_frame is not None and self.__decoder_thread:" in handle, changed(
        "RTCRtpReceiver._handle_rtp_packet queueing only complete frames to the decoder thread"
    )
    receive = source(RTCRtpReceiver.receive)
    assert "self._track._queue" in receive, changed("the decoder thread feeding the remote track's _queue")
    assert "for codec in parameters.codecs:" in receive, changed("RTCRtpReceiver.receive's codec table")
    assert "self.__codecs[codec.payloadType] = codec" in receive, changed("RTCRtpReceiver.receive keeps codec objects")
    assert parameters(RTCRtpReceiver.receive) == ["self", "parameters"], changed("RTCRtpReceiver.receive's signature")


async def test_receiver_instance_attributes() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        receiver = pc.addTransceiver("video").receiver
        assert isinstance(getattr(receiver, passthrough.JITTER_BUFFER_ATTRIBUTE, None), JitterBuffer), changed(
            f"the receiver's private jitter buffer attribute {passthrough.JITTER_BUFFER_ATTRIBUTE}"
        )
        pli = getattr(receiver, passthrough.SEND_PLI_METHOD, None)
        assert pli is not None, changed("RTCRtpReceiver._send_rtcp_pli (gone)")
        assert inspect.iscoroutinefunction(pli), changed("RTCRtpReceiver._send_rtcp_pli (no longer a coroutine)")
        assert parameters(pli) == ["media_ssrc"], changed("RTCRtpReceiver._send_rtcp_pli's signature")
        assert inspect.iscoroutinefunction(receiver.receive), changed("RTCRtpReceiver.receive (no longer async)")
    finally:
        await pc.close()


async def test_remote_track_queue() -> None:
    track = rtcrtpreceiver.RemoteStreamTrack(kind="video")
    queue = getattr(track, passthrough.TRACK_QUEUE_ATTRIBUTE, None)
    assert isinstance(queue, asyncio.Queue), changed(f"RemoteStreamTrack.{passthrough.TRACK_QUEUE_ATTRIBUTE}")
    item = object()
    queue.put_nowait(item)
    received: object = await track.recv()
    assert received is item, changed("RemoteStreamTrack.recv reading its queue")
    assert "self._queue.get()" in source(rtcrtpreceiver.RemoteStreamTrack.recv), changed("RemoteStreamTrack.recv")
    timestamps = source(rtcrtpreceiver.TimestampMapper.map)
    assert "timestamp < self._last" in timestamps, changed("TimestampMapper (passthrough._Delivery mirrors it)")
    assert "timestamp - self._origin" in timestamps, changed("TimestampMapper (passthrough._Delivery mirrors it)")


def test_jitter_buffer_shape() -> None:
    jb = JitterBuffer(capacity=16, prefetch=4, is_video=False)
    for attribute in ("_capacity", "_origin", "_packets", "_prefetch", "_is_video"):
        assert hasattr(jb, attribute), changed(f"JitterBuffer.{attribute}")
    assert parameters(JitterBuffer.add) == ["self", "packet"], changed("JitterBuffer.add")
    assert parameters(JitterBuffer._remove_frame) == ["self", "sequence_number"], changed("JitterBuffer._remove_frame")
    assert "self._remove_frame(packet.sequence_number)" in source(JitterBuffer.add), changed(
        "JitterBuffer.add releasing frames through _remove_frame"
    )
    assert parameters(JitterBuffer.remove) == ["self", "count"], changed("JitterBuffer.remove")
    frame = JitterFrame(data=b"x", timestamp=1)
    assert (frame.data, frame.timestamp) == (b"x", 1), changed("JitterFrame(data, timestamp)")
    packet = RtpPacket(payload_type=96, sequence_number=1, timestamp=2, ssrc=3, marker=1)
    for attribute in ("sequence_number", "timestamp", "ssrc", "marker", "payload"):
        assert hasattr(packet, attribute), changed(f"RtpPacket.{attribute}")


def test_sender_packet_path_and_keyframe_hook() -> None:
    next_frame = source(RTCRtpSender._next_encoded_frame)
    assert "isinstance(data, Frame)" in next_frame, changed("how RTCRtpSender tells frames from packets")
    assert "self.__encoder.pack(data)" in next_frame, changed("RTCRtpSender's packet path (encoder.pack)")
    for encoder in (Vp8Encoder, OpusEncoder):
        assert parameters(encoder.pack) == ["self", "packet"], changed(f"{encoder.__name__}.pack")
    assert "pack" in Encoder.__abstractmethods__, changed("Encoder.pack")
    assert "convert_timebase(packet.pts, packet.time_base" in source(Vp8Encoder.pack), changed(
        "Vp8Encoder.pack reading pts/time_base"
    )
    keyframe = getattr(RTCRtpSender, passthrough.SEND_KEYFRAME_METHOD, None)
    assert keyframe is not None, changed("RTCRtpSender._send_keyframe (gone)")
    assert parameters(keyframe) == ["self"], changed("RTCRtpSender._send_keyframe's signature")
    handle = source(RTCRtpSender._handle_rtcp_packet)
    assert "RTCP_PSFB_FIR" in handle, changed("RTCRtpSender's FIR handling")
    assert "RTCP_PSFB_PLI" in handle, changed("RTCRtpSender's PLI handling")
    assert "self._send_keyframe()" in handle, changed("RTCRtpSender calling self._send_keyframe() on PLI/FIR")
    assert hasattr(rtcrtpsender, "RTCRtpSender")


def test_the_dtls_transport_keeps_its_ssl_connection_and_prefers_gcm() -> None:
    handshake = source(aiortc.RTCDtlsTransport._setup_srtp)
    where = changed("where RTCDtlsTransport reads the SRTP profile")
    assert "self._ssl.get_selected_srtp_profile()" in handshake, where
    profiles = [p.openssl_profile for p in rtcdtlstransport.SRTP_PROFILES]
    assert profiles[0].startswith(b"SRTP_AEAD_AES_"), changed("the SRTP profiles aiortc offers first (AEAD AES-GCM)")


@pytest.mark.parametrize("kind", ["audio", "video"])
def test_codec_capabilities(kind: str) -> None:
    names = {c.mimeType.lower() for c in RTCRtpSender.getCapabilities(kind).codecs}
    wanted = {"video/vp8", "video/rtx"} if kind == "video" else {"audio/opus"}
    assert wanted <= names, changed(f"the {kind} codec capabilities")


# ---- the RTP path ----


def test_rtp_path_parameters_come_through_send_and_receive() -> None:
    from aiortc import rtcpeerconnection

    connect = source(rtcpeerconnection.RTCPeerConnection._RTCPeerConnection__connect)  # type: ignore[attr-defined]
    assert "await transceiver.sender.send(self.__localRtp(transceiver))" in connect, changed(
        "how the peer connection starts its senders (sender.send(parameters) after DTLS)"
    )
    assert "await transceiver.receiver.receive(" in connect, changed("how the peer connection starts its receivers")
    assert parameters(RTCRtpSender.send) == ["self", "parameters"], changed("RTCRtpSender.send's signature")
    assert parameters(RTCRtpReceiver.receive) == ["self", "parameters"], changed("RTCRtpReceiver.receive's signature")
    stop = source(RTCRtpSender.stop)
    assert "if self.__started:" in stop, changed("RTCRtpSender.stop (a sender never started must stop at once)")
    assert "self.__started = True" in source(RTCRtpSender.send), changed("RTCRtpSender.send starting the sender")
    assert "if self.__started:" in source(RTCRtpReceiver.stop), changed("RTCRtpReceiver.stop")


def test_rtp_path_srtp_sessions_and_ice_connection() -> None:
    import aioice.ice
    import pylibsrtp

    setup = source(rtcdtlstransport.RTCDtlsTransport._setup_srtp)
    assert "self._rx_srtp = Session(rx_policy)" in setup, changed("RTCDtlsTransport._rx_srtp")
    assert "self._tx_srtp = Session(tx_policy)" in setup, changed("RTCDtlsTransport._tx_srtp")
    recv = source(rtcdtlstransport.RTCDtlsTransport._recv_next)
    assert "self.transport._recv()" in recv, changed("the DTLS transport reading the ICE transport")
    assert hasattr(pylibsrtp.Session, "unprotect_rtcp"), changed("pylibsrtp.Session")
    data_received = source(aioice.ice.StunProtocol.datagram_received)
    assert "self.receiver.data_received(data, self.local_candidate.component)" in data_received, changed(
        "aioice's StunProtocol handing non-STUN datagrams to Connection.data_received"
    )
    assert parameters(aioice.ice.Connection.data_received) == ["self", "data", "component"], changed(
        "aioice's Connection.data_received"
    )
    sendto = source(aioice.ice.Connection.sendto)
    assert "active_pair = self._nominated.get(component)" in sendto, changed("aioice's Connection._nominated")
    assert "await active_pair.protocol.send_data(data, active_pair.remote_addr)" in sendto, changed(
        "aioice sending on the nominated pair's protocol"
    )

    assert "self.transport.sendto(data, addr)" in source(aioice.ice.StunProtocol.send_data), changed(
        "aioice's StunProtocol.send_data"
    )


async def test_rtp_path_hooks_on_a_real_peer_connection() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        transceiver = pc.addTransceiver("video", direction="sendrecv")
        assert isinstance(transceiver.sender._ssrc, int), changed("RTCRtpSender._ssrc")
        assert isinstance(transceiver.sender._rtx_ssrc, int), changed("RTCRtpSender._rtx_ssrc")
        dtls = transceiver.receiver.transport
        for name in (passthrough.RX_SRTP_ATTRIBUTE, passthrough.TX_SRTP_ATTRIBUTE):
            assert getattr(dtls, name, "missing") is None, changed(f"RTCDtlsTransport.{name} before the handshake")
        connection = getattr(dtls.transport, passthrough.ICE_CONNECTION_ATTRIBUTE)
        assert callable(connection.data_received), changed("RTCIceTransport._connection")
        assert getattr(connection, passthrough.NOMINATED_ATTRIBUTE) == {}, changed("aioice's Connection._nominated")
        protocols = getattr(connection, passthrough.PROTOCOLS_ATTRIBUTE)
        assert isinstance(protocols, list), changed("aioice's Connection._protocols")
    finally:
        await pc.close()


async def test_rtp_path_asyncio_datagram_transport_internals() -> None:
    """The RTP path reads and writes the UDP sockets of aioice's protocols itself (passthrough.RtpTransport)."""
    import asyncio.selector_events as selector_events

    loop = asyncio.get_running_loop()
    assert callable(getattr(loop, "_add_reader", None)), changed("asyncio's loop._add_reader")
    assert callable(getattr(loop, "_remove_reader", None)), changed("asyncio's loop._remove_reader")
    datagram_transport: Any = getattr(selector_events, "_SelectorDatagramTransport")  # noqa: B009 (private)
    selector_transport: Any = getattr(selector_events, "_SelectorTransport")  # noqa: B009 (private)
    read_ready = source(datagram_transport._read_ready)
    assert "self._sock.recvfrom(self.max_size)" in read_ready, changed("asyncio's datagram transport reading")
    assert "self._protocol.datagram_received(data, addr)" in read_ready, changed("asyncio's datagram delivery")
    transport: Any
    transport, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
    try:
        assert transport._sock_fd == transport._sock.fileno(), changed("the datagram transport's _sock/_sock_fd")
        assert transport._conn_lost == 0, changed("the datagram transport's _conn_lost")
    finally:
        transport.close()
    close = source(selector_transport._call_connection_lost) + source(selector_transport.close)
    assert "self._loop._remove_reader(self._sock_fd)" in close, changed("closing a transport removing its reader")
