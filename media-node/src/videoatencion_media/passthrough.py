"""Pass-through media for aiortc: encoded VP8/Opus packets in, the same packets out, never a decode or an encode.

This is the ONLY module of the node that touches aiortc internals (tests/test_aiortc_internals.py is the tripwire that
fails loudly when an aiortc upgrade changes one of them). What it relies on, in aiortc 1.16:

- The receiver's jitter buffer is the private ``_RTCRtpReceiver__jitter_buffer`` (a ``JitterBuffer``). We swap it for a
  subclass that releases a video frame on its RTP marker bit (stock aiortc waits for the first packet of the next frame)
  and hands every audio packet on at once (stock: capacity 16, prefetch 4, which stalls on every loss).
- Delivery on the event loop: stock aiortc queues each complete frame to a decoder thread (``decoder_worker``), which
  hands the result back to the loop with ``run_coroutine_threadsafe`` — two thread hops per audio packet and per video
  frame, which cost more CPU than everything else the node does per packet. Our jitter buffers wrap each complete frame
  in an ``av.Packet`` themselves and put it straight into the remote track's ``asyncio.Queue`` (``RemoteStreamTrack``'s
  private ``_queue``, which ``decoder_worker`` feeds), mapping RTP timestamps to a 0-based timeline as the receiver's
  ``TimestampMapper`` does; ``add`` then returns no frame, so the receiver queues nothing to its decoder thread (which
  idles until it is stopped, and still ends the track then).
- Fallback, for a track without that queue: ``aiortc.rtcrtpreceiver.get_decoder(codec)`` is looked up by
  ``decoder_worker`` for the codec of each complete encoded frame, and ``decoder.decode(jitter_frame)`` returns the list
  of items the remote track yields. Our replacement returns ``[av.Packet]`` for receivers prepared with
  :func:`prepare_receiver` (and the stock decoder for every other receiver, so aiortc clients in the same process still
  decode).
- ``RTCRtpSender`` sends anything that is not an ``av.Frame`` through ``encoder.pack(packet)`` (the path
  ``MediaPlayer(decode=False)`` uses): :class:`PacketTrack` feeds it packets.
- The SRTP protection profile a DTLS handshake chose: ``RTCDtlsTransport._ssl`` (the pyOpenSSL connection) answers
  ``get_selected_srtp_profile()`` (:func:`srtp_profile`; aiortc offers the AEAD AES-GCM profiles first).
- Keyframes: ``RTCRtpReceiver._send_rtcp_pli(media_ssrc)`` sends a PLI; ``RTCRtpSender._handle_rtcp_packet`` calls
  ``self._send_keyframe()`` when the remote side sends PLI/FIR, which we wrap per sender instance.
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import logging
import time
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final

import aiortc.rtcrtpreceiver as _rtcrtpreceiver
import av
import pylibsrtp
from aioice.ice import StunProtocol
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender
from aiortc.codecs.base import Decoder
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecCapability, RTCRtpCodecParameters, RTCRtpReceiveParameters
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add, uint16_gt
from av.frame import Frame

from videoatencion_media.rtp_packets import is_vp8_keyframe

logger = logging.getLogger(__name__)

AIORTC_VERSION_PREFIX: Final = "1.16."
VIDEO_CLOCK_RATE: Final = 90000
AUDIO_CLOCK_RATE: Final = 48000
VIDEO_TIME_BASE: Final = fractions.Fraction(1, VIDEO_CLOCK_RATE)
AUDIO_TIME_BASE: Final = fractions.Fraction(1, AUDIO_CLOCK_RATE)

# Private names this module relies on (the tripwire test checks each of them).
JITTER_BUFFER_ATTRIBUTE: Final = "_RTCRtpReceiver__jitter_buffer"
TRACK_QUEUE_ATTRIBUTE: Final = "_queue"
SEND_PLI_METHOD: Final = "_send_rtcp_pli"
SEND_KEYFRAME_METHOD: Final = "_send_keyframe"

# Attribute set on a receiver's negotiated codec objects so the patched get_decoder knows to pass packets through.
_PASSTHROUGH_MARK: Final = "_videoatencion_passthrough"

# A video frame whose packets are still missing after this long (NACK/RTX had its chance) is given up: the buffer skips
# to the next frame start, drops frames until a keyframe and asks the sender for one.
VIDEO_GAP_TIMEOUT: Final = 0.5
# Video receivers' PLI from the jitter buffer at most this often.
PLI_FROM_BUFFER_INTERVAL: Final = 0.5
# Keyframe requests we send on behalf of the engine: at most 2 per second per receiver.
KEYFRAME_REQUEST_INTERVAL: Final = 0.5
# An audio packet this far behind the last one is a restarted stream, not a late packet.
AUDIO_MAX_MISORDER: Final = 100

_original_get_decoder: Callable[[RTCRtpCodecParameters], Decoder] | None = None
_now = time.monotonic  # patched in tests


def _starts_vp8_frame(packet: RtpPacket) -> bool:
    """The VP8 payload descriptor says this RTP packet starts a frame: S=1 and partition id 0."""
    payload = packet.payload
    return bool(payload) and bool(payload[0] & 0x10) and (payload[0] & 0x0F) == 0


class _BatchFrame(JitterFrame):
    """A complete encoded frame, plus any further complete frames released by the same RTP packet.

    The receiver maps only ``timestamp`` (to a 0-based timeline) before queueing it; the extra frames keep raw RTP
    timestamps and are mapped by their distance from ``raw_timestamp``.
    """

    def __init__(self, data: bytes, timestamp: int, more: list[tuple[bytes, int]]) -> None:
        super().__init__(data=data, timestamp=timestamp)
        self.raw_timestamp = timestamp
        self.more = more


class VideoJitterBuffer(JitterBuffer):
    """Stock video jitter buffer that releases a frame as soon as its marker-bit packet completes it.

    Also gives up on a frame whose packets stay missing for VIDEO_GAP_TIMEOUT (skips to the next frame start, drops
    frames until a keyframe and reports picture loss), where the stock buffer would stall until 512 packets pile up.
    """

    def __init__(self) -> None:
        super().__init__(capacity=512, is_video=True)
        self.ssrc: int | None = None
        self.frames_out = 0
        self.frames_dropped = 0
        self.gaps_skipped = 0
        self._need_keyframe = False
        self._stalled_since: float | None = None
        self._last_pli = 0.0
        self._newest: int | None = None
        self.delivery: _Delivery | None = None

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        self.ssrc = packet.ssrc
        if self._newest is None or uint16_gt(packet.sequence_number, self._newest):
            self._newest = packet.sequence_number
        pli_flag, frame = super().add(packet)
        if frame is None and self._origin_missing():
            now = _now()
            if self._stalled_since is None:
                self._stalled_since = now
            elif now - self._stalled_since > VIDEO_GAP_TIMEOUT:
                self._skip_to_next_frame_start()
                self._stalled_since = None
                self._need_keyframe = True
                self.gaps_skipped += 1
                pli_flag = True
                frame = self._remove_frame(packet.sequence_number)
        elif frame is not None:
            self._stalled_since = None
        if self._need_keyframe and frame is None:
            now = _now()
            if now - self._last_pli >= PLI_FROM_BUFFER_INTERVAL:
                self._last_pli = now
                pli_flag = True
        elif pli_flag:
            self._last_pli = _now()
        if frame is not None and self.delivery is not None:
            self.delivery(frame)
            return pli_flag, None
        return pli_flag, frame

    def _origin_missing(self) -> bool:
        return self._origin is not None and self._packets[self._origin % self._capacity] is None

    def _skip_to_next_frame_start(self) -> None:
        if self._origin is None or self._newest is None:
            return
        while self._origin != uint16_add(self._newest, 1):
            self.remove(1)
            packet = self._packets[self._origin % self._capacity]
            if packet is not None and _starts_vp8_frame(packet):
                return

    def _take(self, count: int, packets: list[RtpPacket]) -> bytes:
        self.remove(count)
        return b"".join(p._data for p in packets)  # type: ignore[attr-defined]

    def _next_frame(self) -> tuple[bytes, int] | None:
        """Remove and return the first complete frame at the origin (marker bit, or the next frame has begun)."""
        if self._origin is None:
            return None
        packets: list[RtpPacket] = []
        timestamp: int | None = None
        for count in range(self._capacity):
            packet = self._packets[(self._origin + count) % self._capacity]
            if packet is None:
                return None
            if timestamp is None:
                timestamp = packet.timestamp
            elif packet.timestamp != timestamp:
                return self._take(count, packets), timestamp
            packets.append(packet)
            if packet.marker:
                return self._take(count + 1, packets), timestamp
        return None

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        frames: list[tuple[bytes, int]] = []
        while (found := self._next_frame()) is not None:
            data, timestamp = found
            if self._need_keyframe:
                if not is_vp8_keyframe(data):
                    self.frames_dropped += 1
                    continue
                self._need_keyframe = False
            frames.append(found)
        if not frames:
            return None
        self.frames_out += len(frames)
        data, timestamp = frames[0]
        return _BatchFrame(data, timestamp, frames[1:])


class AudioJitterBuffer(JitterBuffer):
    """Hands every audio packet on as soon as it arrives; late and duplicate packets are dropped.

    The receiving endpoint has its own jitter buffer (a browser's NetEq); buffering here only adds delay and, with
    aiortc's prefetch, turns each lost packet into a stall and a burst of dropped frames.
    """

    def __init__(self) -> None:
        super().__init__(capacity=16, prefetch=0)
        self.ssrc: int | None = None
        self.frames_out = 0
        self.late = 0
        self._last: int | None = None
        self.delivery: _Delivery | None = None

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        self.ssrc = packet.ssrc
        seq = packet.sequence_number
        if (
            self._last is not None
            and not uint16_gt(seq, self._last)
            and uint16_add(self._last, -seq) < AUDIO_MAX_MISORDER
        ):
            self.late += 1
            return False, None
        self._last = seq
        self.frames_out += 1
        frame = JitterFrame(data=packet._data, timestamp=packet.timestamp)  # type: ignore[attr-defined]
        if self.delivery is not None:
            self.delivery(frame)
            return False, None
        return False, frame


class PacketDecoder(Decoder):
    """The 'decoder' of a pass-through receiver: wraps each encoded frame in an ``av.Packet`` and decodes nothing."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.time_base = VIDEO_TIME_BASE if kind == "video" else AUDIO_TIME_BASE

    def _packet(self, data: bytes, pts: int) -> av.Packet[Any]:
        packet = av.Packet(data)
        packet.pts = pts
        packet.dts = pts
        packet.time_base = self.time_base
        packet.is_keyframe = is_vp8_keyframe(data) if self.kind == "video" else True
        return packet

    def decode(self, encoded_frame: JitterFrame) -> list[Frame]:
        packets = [self._packet(encoded_frame.data, encoded_frame.timestamp)]
        if isinstance(encoded_frame, _BatchFrame):
            for data, raw in encoded_frame.more:
                delta = (raw - encoded_frame.raw_timestamp) & 0xFFFFFFFF
                packets.append(self._packet(data, encoded_frame.timestamp + delta))
        # decoder_worker hands each item to the remote track as it is; the track yields packets, not frames.
        return packets  # type: ignore[return-value]


class _Delivery:
    """Hands a receiver's complete frames, as ``av.Packet``s, to its remote track's queue right on the event loop.

    What ``_handle_rtp_packet`` + ``decoder_worker`` would do with the frame, minus the two thread hops: map the RTP
    timestamp to a 0-based timeline (as aiortc's ``TimestampMapper``: a timestamp below the last one is a wrap) and
    queue what :class:`PacketDecoder` makes of it — or, once a sink is set (:func:`set_packet_sink`), call the sink with
    each packet instead, which also saves the hop through the queue to a reader task.
    """

    def __init__(self, kind: str, put: Callable[[Any], None]) -> None:
        self._decoder = PacketDecoder(kind)
        self._put = put
        self.sink: Callable[[av.Packet[Any]], None] | None = None
        self._origin: int | None = None
        self._last = 0

    def __call__(self, frame: JitterFrame) -> None:
        timestamp = frame.timestamp
        if self._origin is None:
            self._origin = timestamp
        elif timestamp < self._last:
            self._origin -= 1 << 32
        self._last = timestamp
        frame.timestamp = timestamp - self._origin
        packets: list[Any] = self._decoder.decode(frame)
        sink = self.sink
        if sink is None:
            for packet in packets:
                self._put(packet)
            return
        for packet in packets:
            try:
                sink(packet)
            except Exception:  # called from aiortc's RTP path: nothing may escape into it
                logger.exception("packet sink failed")


def _get_decoder(codec: RTCRtpCodecParameters) -> Decoder:
    if getattr(codec, _PASSTHROUGH_MARK, False):
        return PacketDecoder("video" if codec.mimeType.lower().startswith("video/") else "audio")
    if _original_get_decoder is None:  # pragma: no cover - only installed functions are called
        raise RuntimeError("passthrough.install() was not called")
    return _original_get_decoder(codec)


def install() -> None:
    """Replace aiortc's receiver decoder lookup (idempotent). Receivers not prepared by us keep decoding."""
    global _original_get_decoder
    if _original_get_decoder is None:
        _original_get_decoder = _rtcrtpreceiver.get_decoder  # type: ignore[attr-defined]
        _rtcrtpreceiver.get_decoder = _get_decoder  # type: ignore[attr-defined]


class _ReceiverState:
    def __init__(self, kind: str, jitter_buffer: VideoJitterBuffer | AudioJitterBuffer) -> None:
        self.kind = kind
        self.jitter_buffer = jitter_buffer
        self.last_keyframe_request = 0.0
        self.keyframe_requests = 0
        self.sink: Callable[[av.Packet[Any]], None] | None = None


_receivers: weakref.WeakKeyDictionary[RTCRtpReceiver, _ReceiverState] = weakref.WeakKeyDictionary()
_tasks: set[asyncio.Task[None]] = set()


def _spawn(coro: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(coro)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def prepare_receiver(receiver: RTCRtpReceiver, kind: str) -> None:
    """Make this receiver's track yield ``av.Packet``s. Call before the connection starts (after adding transceivers).

    Swaps its jitter buffer for a pass-through one that, once ``receive()`` is called, puts the packets straight into
    the remote track's queue (see the module docstring). Also marks the negotiated codecs, so that if the track has no
    such queue the patched ``get_decoder`` returns a :class:`PacketDecoder` for them in the decoder thread.
    """
    install()
    if receiver in _receivers:
        return
    jitter_buffer: VideoJitterBuffer | AudioJitterBuffer = (
        VideoJitterBuffer() if kind == "video" else AudioJitterBuffer()
    )
    setattr(receiver, JITTER_BUFFER_ATTRIBUTE, jitter_buffer)
    state = _receivers[receiver] = _ReceiverState(kind, jitter_buffer)
    original_receive = receiver.receive

    async def receive(parameters: RTCRtpReceiveParameters) -> None:
        for codec in parameters.codecs:
            setattr(codec, _PASSTHROUGH_MARK, True)
        track_queue = getattr(receiver.track, TRACK_QUEUE_ATTRIBUTE, None)
        if isinstance(track_queue, asyncio.Queue):
            delivery = jitter_buffer.delivery = _Delivery(kind, track_queue.put_nowait)
            delivery.sink = state.sink
        else:  # pragma: no cover - the tripwire test fails first
            logger.warning("remote track has no queue: packets go through aiortc's decoder thread")
            if state.sink is not None:
                _spawn(_pump(receiver.track, state))
        await original_receive(parameters)

    receiver.receive = receive  # type: ignore[method-assign]


def set_packet_sink(receiver: RTCRtpReceiver, sink: Callable[[av.Packet[Any]], None]) -> None:
    """Call ``sink(packet)`` on the event loop with each packet of a receiver prepared with :func:`prepare_receiver`,
    instead of queueing it to the receiver's track (whose ``recv()`` then yields nothing until the track ends).

    Works before or after the receiver starts receiving (aiortc calls ``receive()`` once ICE and DTLS are under way).
    """
    state = _receivers.get(receiver)
    if state is None:
        raise ValueError("set_packet_sink: the receiver was not prepared with prepare_receiver")
    state.sink = sink
    delivery = state.jitter_buffer.delivery
    if delivery is not None:
        delivery.sink = sink


async def _pump(track: MediaStreamTrack, state: _ReceiverState) -> None:
    """Fallback when packets go through aiortc's decoder thread: read the track and call the sink."""
    try:
        while True:
            packet: Any = await track.recv()
            if state.sink is not None:
                state.sink(packet)
    except MediaStreamError:
        pass
    except Exception:
        logger.exception("packet pump failed")


def receiver_stats(receiver: RTCRtpReceiver) -> dict[str, int]:
    state = _receivers.get(receiver)
    if state is None:
        return {}
    jb = state.jitter_buffer
    stats = {"frames_out": jb.frames_out, "keyframe_requests_sent": state.keyframe_requests}
    if isinstance(jb, VideoJitterBuffer):
        stats.update(frames_dropped=jb.frames_dropped, gaps_skipped=jb.gaps_skipped)
    else:
        stats.update(late_dropped=jb.late)
    return stats


def srtp_profile(pc: RTCPeerConnection) -> str | None:
    """The SRTP protection profile the peer's DTLS handshake chose (``SRTP_AEAD_AES_256_GCM``, …), None before it."""
    for transceiver in pc.getTransceivers():
        connection = getattr(transceiver.receiver.transport, "_ssl", None)
        chosen = connection.get_selected_srtp_profile() if connection is not None else b""
        if chosen:
            return bytes(chosen).decode("ascii")
    return None


def request_keyframe(receiver: RTCRtpReceiver) -> bool:
    """Send a PLI for the remote video SSRC of this receiver; at most 2 per second. True if one was sent."""
    state = _receivers.get(receiver)
    if state is None or state.kind != "video":
        return False
    now = _now()
    if now - state.last_keyframe_request < KEYFRAME_REQUEST_INTERVAL:
        return False
    ssrc = state.jitter_buffer.ssrc
    if ssrc is None:
        sources = receiver.getSynchronizationSources()
        if not sources:
            return False
        ssrc = sources[0].source
    state.last_keyframe_request = now
    state.keyframe_requests += 1
    send_pli: Callable[[int], Coroutine[Any, Any, None]] = getattr(receiver, SEND_PLI_METHOD)

    async def send() -> None:
        try:
            await send_pli(ssrc)
        except Exception:  # a closing transport must not take anything down
            logger.debug("PLI not sent", exc_info=True)

    _spawn(send())
    return True


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` whenever the remote side asks this sender for a keyframe (PLI or FIR).

    A pass-through sender cannot make one itself; the engine forwards the request to the publishing participant.
    Calling this again for the same sender replaces the callback.
    """
    hooks: dict[str, Any] = sender.__dict__.setdefault("_videoatencion_keyframe_hook", {})
    hooks["callback"] = callback
    if "original" in hooks:
        return
    hooks["original"] = getattr(sender, SEND_KEYFRAME_METHOD)

    def send_keyframe() -> None:
        hooks["original"]()
        try:
            hooks["callback"]()
        except Exception:
            logger.exception("keyframe request callback failed")

    setattr(sender, SEND_KEYFRAME_METHOD, send_keyframe)


def prefer_vp8_opus(pc: RTCPeerConnection) -> None:
    """Codec preferences on every transceiver so only VP8 (with RTX) and Opus are negotiated."""
    for transceiver in pc.getTransceivers():
        capabilities = RTCRtpSender.getCapabilities(transceiver.kind).codecs
        wanted = ("video/vp8", "video/rtx") if transceiver.kind == "video" else ("audio/opus",)
        preferences: list[RTCRtpCodecCapability] = [c for c in capabilities if c.mimeType.lower() in wanted]
        transceiver.setCodecPreferences(preferences)


class PacketTrack(MediaStreamTrack):
    """An outgoing track whose ``recv()`` returns encoded packets pushed with :meth:`push`, sent by ``encoder.pack``.

    The queue is bounded: on overflow audio drops its oldest packet; video drops everything queued and then every
    packet until the next keyframe (a delta frame without its references only corrupts the picture), asking for one
    through ``on_keyframe_needed``. Timestamps are rebased so the outgoing stream stays continuous when its source
    changes (a reconnection restarts the source's timeline at 0).
    """

    def __init__(
        self, kind: str, *, max_queue: int | None = None, on_keyframe_needed: Callable[[], None] | None = None
    ) -> None:
        super().__init__()
        if kind not in ("audio", "video"):
            raise ValueError(f"unknown kind {kind!r}")
        self.kind = kind
        self.on_keyframe_needed = on_keyframe_needed
        self._clock = VIDEO_CLOCK_RATE if kind == "video" else AUDIO_CLOCK_RATE
        self._time_base = VIDEO_TIME_BASE if kind == "video" else AUDIO_TIME_BASE
        self._max_queue = max_queue or (90 if kind == "video" else 50)
        self._queue: collections.deque[av.Packet[Any]] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._need_keyframe = kind == "video"
        self._offset: int | None = None
        self._last_in: int | None = None
        self._last_out = 0
        self._last_wall = 0.0
        self.packets_in = 0
        self.packets_out = 0
        self.bytes_out = 0
        self.dropped = 0

    def restart(self) -> None:
        """The source changed: rebase timestamps at the next packet and (video) wait for a keyframe."""
        self._last_in = None
        if self.kind == "video":
            self._need_keyframe = True

    def _rebase(self, pts: int) -> int:
        now = _now()
        if self._offset is None:
            self._offset = -pts
        elif self._last_in is None or not 0 <= pts - self._last_in <= 5 * self._clock:
            elapsed = max(1, round((now - self._last_wall) * self._clock))
            self._offset = self._last_out + elapsed - pts
        self._last_in = pts
        self._last_wall = now
        self._last_out = pts + self._offset
        return self._last_out

    def push(self, packet: av.Packet[Any]) -> bool:
        """Queue a packet to send (never blocks). False if it was dropped."""
        if self.readyState != "live" or packet.pts is None:
            return False
        self.packets_in += 1
        keyframe = packet.is_keyframe
        if self._need_keyframe:
            if not keyframe:
                self.dropped += 1
                if self.on_keyframe_needed is not None:
                    self.on_keyframe_needed()
                return False
            self._need_keyframe = False
        if len(self._queue) >= self._max_queue:
            if self.kind == "audio":
                self._queue.popleft()
                self.dropped += 1
            else:
                self.dropped += len(self._queue)
                self._queue.clear()
                if not keyframe:
                    self.dropped += 1
                    self._need_keyframe = True
                    if self.on_keyframe_needed is not None:
                        self.on_keyframe_needed()
                    return False
        pts = packet.pts
        if packet.time_base is not None and packet.time_base != self._time_base:
            pts = int(pts * packet.time_base / self._time_base)
        # A copy: the recorder's muxer frees packets in place, and pts is rewritten here.
        out = av.Packet(bytes(packet))
        out.pts = out.dts = self._rebase(pts)
        out.time_base = self._time_base
        out.is_keyframe = keyframe
        self._queue.append(out)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        return True

    async def recv(self) -> av.Packet[Any]:
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self.readyState != "live":
            raise MediaStreamError
        packet = self._queue.popleft()
        self.packets_out += 1
        self.bytes_out += packet.size
        return packet

    def stop(self) -> None:
        super().stop()
        self._queue.clear()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


# ---- The RTP path (MEDIA_FORWARDING=rtp): aiortc does ICE, DTLS and SDP, the engine does the media below it ----
#
# What it relies on, besides the above:
# - ``RTCRtpSender.send(parameters)`` / ``RTCRtpReceiver.receive(parameters)`` are what the peer connection calls once
#   DTLS is up, with the negotiated parameters; replaced per instance, they hand those parameters to the engine and
#   start nothing (no sender loop, no RTCP loop, no decoder thread; ``stop()`` then has nothing to stop and sends no
#   RTCP BYE). ``RTCRtpSender._ssrc`` / ``_rtx_ssrc`` are the SSRCs our answer announced.
# - ``RTCDtlsTransport._rx_srtp`` / ``_tx_srtp`` (pylibsrtp sessions, set when the handshake ends) and ``.transport``
#   (the ``RTCIceTransport``) whose ``_connection`` is aioice's ``Connection``: its ``data_received(data, component)``
#   is what every non-STUN datagram goes through (into the queue the DTLS transport reads); replaced per instance,
#   SRTP/SRTCP is unprotected and handed to the engine right there, anything else goes on to the queue. Before it,
#   each UDP ``StunProtocol`` of the connection (``_protocols``) gets its own ``datagram_received`` that takes
#   SRTP/SRTCP (first byte 128-191, never STUN's 0-3) without aioice's attempt to parse every datagram as STUN.
#   Sending uses the connection's nominated pair (``_nominated[1]``): a UDP ``StunProtocol``'s socket gets a plain
#   ``sendto``.
# - asyncio's selector loop (``_add_reader``/``_remove_reader``) and its datagram transport (``_sock``, ``_sock_fd``,
#   ``_conn_lost``): the transport reads one datagram per readiness event (one loop iteration per packet); the RTP
#   path replaces its reader with one that drains the socket, up to ``DRAIN_MAX`` datagrams per event (a browser sends
#   a video frame's packets back to back), and sends straight on the socket (a UDP packet the kernel cannot take now
#   is dropped, as on the wire, instead of queued behind the loop). The transport's ``close()`` still removes the
#   reader, whichever it is.

SEND_METHOD: Final = "send"
RECEIVE_METHOD: Final = "receive"
RX_SRTP_ATTRIBUTE: Final = "_rx_srtp"
TX_SRTP_ATTRIBUTE: Final = "_tx_srtp"
ICE_CONNECTION_ATTRIBUTE: Final = "_connection"
NOMINATED_ATTRIBUTE: Final = "_nominated"
PROTOCOLS_ATTRIBUTE: Final = "_protocols"
DRAIN_MAX: Final = 64
MAX_DATAGRAM: Final = 65536


@dataclass(frozen=True, slots=True)
class StreamParameters:
    """What was negotiated for one audio/video section, in the direction it is used.

    For a sender: our SSRCs (the answer announced them) and the payload types the remote side expects. For a receiver:
    the payload types the remote side sends with, and its SSRCs when its description named them.
    """

    kind: str
    payload_type: int
    rtx_payload_type: int | None
    ssrc: int | None
    rtx_ssrc: int | None
    extensions: dict[str, int]
    mid: str


def _stream_parameters(kind: str, parameters: Any, ssrc: int | None, rtx_ssrc: int | None) -> StreamParameters | None:
    wanted = "video/vp8" if kind == "video" else "audio/opus"
    codecs = list(parameters.codecs)
    main = next((c for c in codecs if c.mimeType.lower() == wanted), None)
    if main is None:
        return None
    rtx = next(
        (
            c
            for c in codecs
            if c.mimeType.lower() == "video/rtx" and str(c.parameters.get("apt")) == str(main.payloadType)
        ),
        None,
    )
    extensions = {e.uri: e.id for e in parameters.headerExtensions}
    return StreamParameters(
        kind=kind,
        payload_type=main.payloadType,
        rtx_payload_type=rtx.payloadType if rtx is not None else None,
        ssrc=ssrc,
        rtx_ssrc=rtx_ssrc if rtx is not None else None,
        extensions=extensions,
        mid=parameters.muxId or "",
    )


def take_over_sender(sender: RTCRtpSender, kind: str, on_parameters: Callable[[StreamParameters], None]) -> None:
    """Never run aiortc's sender loops for ``sender``: hand its negotiated parameters to ``on_parameters`` instead."""

    async def send(parameters: Any) -> None:
        found = _stream_parameters(kind, parameters, sender._ssrc, getattr(sender, "_rtx_ssrc", None))
        if found is not None:
            on_parameters(found)

    setattr(sender, SEND_METHOD, send)


def take_over_receiver(receiver: RTCRtpReceiver, kind: str, on_parameters: Callable[[StreamParameters], None]) -> None:
    """Never run aiortc's receiver for ``receiver``: hand its negotiated parameters to ``on_parameters`` instead."""

    async def receive(parameters: Any) -> None:
        encodings = list(getattr(parameters, "encodings", []) or [])
        ssrc = encodings[0].ssrc if encodings else None
        rtx_ssrc = encodings[0].rtx.ssrc if encodings and encodings[0].rtx is not None else None
        found = _stream_parameters(kind, parameters, ssrc, rtx_ssrc)
        if found is not None:
            on_parameters(found)

    setattr(receiver, RECEIVE_METHOD, receive)


class RtpTransport:
    """Raw RTP/RTCP of one peer connection (all its sections share one bundled DTLS transport), below aiortc.

    ``on_rtp(packet, arrival)`` and ``on_rtcp(packet)`` are called on the event loop, right in the datagram callback,
    with the unprotected packets; :meth:`send_rtp` protects and sends at once and returns the protected bytes (what a
    retransmission sends again unchanged: same index, same ciphertext), :meth:`send_protected` sends such bytes.
    Install it after the answer is set (the bundle is settled then); nothing flows before the DTLS handshake ends.
    """

    def __init__(
        self,
        pc: RTCPeerConnection,
        on_rtp: Callable[[bytes, float], None],
        on_rtcp: Callable[[bytes], None],
    ) -> None:
        transports = [t.receiver.transport for t in pc.getTransceivers() if t.receiver.transport is not None]
        if not transports:
            raise ValueError("RtpTransport: the peer connection has no transport")
        self._dtls = transports[0]
        self._connection = getattr(self._dtls.transport, ICE_CONNECTION_ATTRIBUTE)
        self._original: Callable[[bytes, int], None] = self._connection.data_received
        self._on_rtp = on_rtp
        self._on_rtcp = on_rtcp
        self.unprotect_failures = 0
        self.protect_failures = 0
        self.send_failures = 0
        self._closed = False
        # Loss injection for tests and the benchmark's clients: a protected datagram for which this says True is dropped
        # as if lost on the way (before SRTP sees it, so a retransmission is still accepted).
        self.lose: Callable[[bytes], bool] | None = None
        self._connection.data_received = self._data_received
        loop = asyncio.get_running_loop()
        for protocol in getattr(self._connection, PROTOCOLS_ATTRIBUTE):
            if type(protocol) is StunProtocol:
                self._take_reading(loop, protocol)

    def _take_reading(self, loop: asyncio.AbstractEventLoop, protocol: StunProtocol) -> None:
        """Read this protocol's socket ourselves (see the notes above); STUN and DTLS still go to aioice as before."""
        transport: Any = protocol.transport
        sock = getattr(transport, "_sock", None)
        add_reader = getattr(loop, "_add_reader", None)
        remove_reader = getattr(loop, "_remove_reader", None)
        if sock is None or add_reader is None or remove_reader is None or transport.is_closing():
            return
        original = protocol.datagram_received
        dtls = self._dtls
        recvfrom = sock.recvfrom

        def drain() -> None:
            if transport._conn_lost:
                return
            for _ in range(DRAIN_MAX):
                try:
                    data, addr = recvfrom(MAX_DATAGRAM)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError as exc:
                    protocol.error_received(exc)
                    return
                if data and 127 < data[0] < 192 and not self._closed and getattr(dtls, RX_SRTP_ATTRIBUTE) is not None:
                    self._srtp(data)
                else:
                    original(data, addr)

        fd = transport._sock_fd
        remove_reader(fd)
        add_reader(fd, drain)

    def _data_received(self, data: bytes, component: int) -> None:
        first = data[0] if data else 0
        rx = getattr(self._dtls, RX_SRTP_ATTRIBUTE) if 127 < first < 192 else None
        if rx is None or self._closed:
            self._original(data, component)
            return
        self._srtp(data)

    def _srtp(self, data: bytes) -> None:
        rx = getattr(self._dtls, RX_SRTP_ATTRIBUTE)
        if self.lose is not None and self.lose(data):
            return
        try:
            if len(data) >= 2 and 192 <= data[1] <= 223:
                packet = rx.unprotect_rtcp(data)
                self._on_rtcp(packet)
            else:
                packet = rx.unprotect(data)
                self._on_rtp(packet, time.time())
        except pylibsrtp.Error:
            self.unprotect_failures += 1
        except Exception:  # called from aioice's datagram callback: nothing may escape into it
            logger.exception("RTP handling failed")

    def send_rtp(self, packet: bytes) -> bytes | None:
        tx = getattr(self._dtls, TX_SRTP_ATTRIBUTE)
        if tx is None or self._closed:
            return None
        try:
            protected: bytes = tx.protect(packet)
        except pylibsrtp.Error:
            self.protect_failures += 1
            return None
        return protected if self.send_protected(protected) else None

    def send_rtcp(self, packet: bytes) -> bool:
        tx = getattr(self._dtls, TX_SRTP_ATTRIBUTE)
        if tx is None or self._closed:
            return False
        try:
            protected = tx.protect_rtcp(packet)
        except pylibsrtp.Error:
            self.protect_failures += 1
            return False
        return self.send_protected(protected)

    def send_protected(self, data: bytes) -> bool:
        pair = getattr(self._connection, NOMINATED_ATTRIBUTE).get(1)
        if pair is None or self._closed:
            return False
        protocol = pair.protocol
        if type(protocol) is StunProtocol:
            transport: Any = protocol.transport
            if transport.is_closing():
                return False
            try:
                transport._sock.sendto(data, pair.remote_addr)
            except (BlockingIOError, InterruptedError):
                self.send_failures += 1  # the socket's buffer is full: dropped, as a router would
                return False
            except OSError as exc:
                protocol.error_received(exc)
                self.send_failures += 1
                return False
            return True
        try:  # a relayed pair (TURN): aioice's coroutine does the channel framing
            _spawn(protocol.send_data(data, pair.remote_addr))
        except Exception:
            self.send_failures += 1
            return False
        return True

    def close(self) -> None:
        self._closed = True
