"""The media of one room: a peer connection per participant, media forwarded between admitted participants and handed
to the recorder. Nothing is decoded or encoded here.

Two paths, chosen per node (``MEDIA_FORWARDING``): ``rtp`` (the default) forwards RTP packets below aiortc's media
stack (forwarding.py, through the hooks in passthrough.py); ``packets`` is the previous path, aiortc's receivers and
senders with encoded frames passed through as ``av.Packet`` (passthrough.py), kept for one release to compare.

Routing: each participant's outgoing side has one :class:`~videoatencion_media.passthrough.PacketTrack` per audio/video
section it offered to receive (sendrecv or recvonly). The other admitted participants fill them in join order: the
first video section gets the first other participant's video, and so on (a 1:1 call = the other's audio and video).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

from aiortc import (
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.sdp import SessionDescription

from videoatencion_media import passthrough
from videoatencion_media.config import FORWARDING_PATHS
from videoatencion_media.forwarding import OutStream, RtpPeer, RtpRecorder, RtpRoom
from videoatencion_media.passthrough import PacketTrack, StreamParameters

if TYPE_CHECKING:
    from pathlib import Path

    import av

    from videoatencion_media.recording import RoomRecorder

logger = logging.getLogger(__name__)

KINDS: Final = ("audio", "video")

MAX_CHAT_MESSAGE_BYTES: Final = 16_384


class MediaRecorder(Protocol):
    """What the engine needs of a recorder on either path (``RoomRecorder``: ``write``, ``RtpRoomRecorder``:
    ``write_rtp``)."""

    on_keyframe_needed: Callable[[str], None] | None

    def new_segment(self, participant_id: str) -> None: ...
    def note(self, event: dict[str, Any]) -> None: ...
    def finish(self) -> Path: ...


class InvalidOffer(ValueError):  # noqa: N818 (the name is the interface)
    """The SDP offer cannot be answered: unparsable, no audio/video section, or no VP8/Opus offered."""


@dataclass
class _Slot:
    """One outgoing audio/video section of a participant and the source that fills it."""

    kind: str
    track: PacketTrack
    sender: RTCRtpSender
    source: str | None = None
    out: OutStream | None = None  # the RTP path's outgoing stream, once the section is negotiated


@dataclass
class _Counters:
    packets: int = 0
    bytes: int = 0


@dataclass
class _Peer:
    id: str
    pc: RTCPeerConnection
    generation: int
    receivers: dict[str, RTCRtpReceiver] = field(default_factory=dict)
    slots: list[_Slot] = field(default_factory=list)
    channel: RTCDataChannel | None = None
    state: str = "new"
    incoming: dict[str, _Counters] = field(default_factory=lambda: {k: _Counters() for k in KINDS})
    keyframe_requests_received: int = 0
    keyframe_requests_forwarded: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    rtp: RtpPeer | None = None
    transport: passthrough.RtpTransport | None = None


class RoomMedia:
    """Media of one room (see the module docstring). Every method is called on the event loop."""

    def __init__(
        self,
        room_id: str,
        appointment_id: str,
        recorder: MediaRecorder | None,
        ice_servers: list[RTCIceServer] | None = None,
        forwarding: str = "rtp",
    ) -> None:
        if forwarding not in FORWARDING_PATHS:
            raise ValueError(f"unknown forwarding path {forwarding!r}")
        self.forwarding = forwarding
        if forwarding == "packets":
            passthrough.install()
        self.room_id = room_id
        self.appointment_id = appointment_id
        self.recorder = recorder
        self.ice_servers = list(ice_servers or [])
        self.on_connection_state: Callable[[str, str], None] | None = None
        self.on_message: Callable[[str, dict[str, Any]], None] | None = None
        self._peers: dict[str, _Peer] = {}
        self._admitted: dict[str, bool] = {}
        self._audio_only: dict[str, bool] = {}
        self._join_order: dict[str, int] = {}
        self._routes: dict[tuple[str, str], list[PacketTrack]] = {}
        self._generation = 0
        self._closing_tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._rtp: RtpRoom | None = None
        if forwarding == "rtp":
            rtp_recorder = cast("RtpRecorder", recorder) if hasattr(recorder, "write_rtp") else None
            if recorder is not None and rtp_recorder is None:
                raise ValueError("the RTP path records with an RtpRoomRecorder")
            self._rtp = RtpRoom(lambda pid: self._admitted.get(pid, False), rtp_recorder)
        if recorder is not None:
            recorder.on_keyframe_needed = self._recorder_wants_keyframe

    # ---- signalling-facing API ----

    async def connect(self, participant_id: str, offer_sdp: str) -> str:
        """Answer a participant's offer (after ICE gathering). A second connect replaces its previous connection."""
        if self._closed:
            raise RuntimeError("room media is closed")
        kinds = self._offered_kinds(offer_sdp)
        self._generation += 1
        pc = RTCPeerConnection(RTCConfiguration(iceServers=self.ice_servers))
        peer = _Peer(participant_id, pc, self._generation)
        if self._rtp is not None:
            peer.rtp = RtpPeer(participant_id)
        for kind, direction in kinds:
            if direction in ("sendrecv", "recvonly"):
                track = PacketTrack(kind)
                transceiver = pc.addTransceiver(track, direction="sendrecv")
                slot = _Slot(kind, track, transceiver.sender)
                if peer.rtp is not None:
                    passthrough.take_over_sender(transceiver.sender, kind, self._send_negotiated(peer, slot))
                else:
                    track.on_keyframe_needed = self._slot_keyframe_callback(slot)
                    passthrough.on_keyframe_request(transceiver.sender, self._remote_keyframe_callback(peer, slot))
                peer.slots.append(slot)
            else:
                transceiver = pc.addTransceiver(kind, direction="recvonly")
            if peer.rtp is not None:
                passthrough.take_over_receiver(transceiver.receiver, kind, self._receive_negotiated(peer))
            else:
                passthrough.prepare_receiver(transceiver.receiver, kind)
        passthrough.prefer_vp8_opus(pc)
        self._watch(peer)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        except Exception as exc:
            await self._close_pc(pc)
            raise InvalidOffer(f"offer rejected: {exc}") from exc
        try:
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception:
            await self._close_pc(pc)
            raise
        for transceiver in pc.getTransceivers():
            receiver = transceiver.receiver
            if receiver.track is not None and transceiver.kind in KINDS:
                peer.receivers.setdefault(transceiver.kind, receiver)
                if peer.rtp is None:
                    passthrough.set_packet_sink(receiver, self._packet_sink(peer, transceiver.kind))
        if peer.rtp is not None and self._rtp is not None:
            try:
                peer.transport = passthrough.RtpTransport(pc, self._rtp_handler(peer.rtp), self._rtcp_handler(peer.rtp))
            except Exception:
                await self._close_pc(pc)
                raise
            peer.rtp.transport = peer.transport

        previous = self._peers.get(participant_id)
        self._peers[participant_id] = peer
        if self._rtp is not None and peer.rtp is not None:
            self._rtp.peers[participant_id] = peer.rtp
        self._join_order.setdefault(participant_id, len(self._join_order))
        if previous is not None:
            self._retire(previous)
            if self.recorder is not None:
                self.recorder.new_segment(participant_id)
            self._note({"type": "reconnected", "participant_id": participant_id})
        else:
            self._note({"type": "connected", "participant_id": participant_id})
        self._reroute()
        local = pc.localDescription
        if local is None:  # pragma: no cover - setLocalDescription just set it
            raise RuntimeError("no local description")
        return local.sdp

    def set_admitted(self, participant_id: str, admitted: bool) -> None:
        if self._admitted.get(participant_id, False) == admitted:
            return
        self._admitted[participant_id] = admitted
        self._note({"type": "admitted" if admitted else "unadmitted", "participant_id": participant_id})
        if not admitted and self.recorder is not None:
            self.recorder.new_segment(participant_id)
        self._reroute()

    def set_audio_only(self, participant_id: str, on: bool) -> None:
        if self._audio_only.get(participant_id, False) == on:
            return
        self._audio_only[participant_id] = on
        self._note({"type": "audio_only", "participant_id": participant_id, "on": on})

    def send(self, participant_id: str, message: dict[str, Any]) -> bool:
        peer = self._peers.get(participant_id)
        channel = peer.channel if peer is not None else None
        if channel is None or channel.readyState != "open":
            return False
        try:
            channel.send(json.dumps(message, ensure_ascii=False))
        except Exception:
            logger.warning("chat send failed", exc_info=True, extra={"participant_id": participant_id})
            return False
        return True

    async def disconnect(self, participant_id: str) -> None:
        peer = self._peers.pop(participant_id, None)
        if peer is None:
            return
        if self._rtp is not None and self._rtp.peers.get(participant_id) is peer.rtp:
            del self._rtp.peers[participant_id]
        if self.recorder is not None:
            self.recorder.new_segment(participant_id)
        self._note({"type": "left", "participant_id": participant_id})
        self._reroute()
        await self._shutdown(peer)

    async def close(self) -> None:
        """Close every peer connection and finish the recording (its manifest is on disk when this returns)."""
        if self._closed:
            return
        self._closed = True
        peers = list(self._peers.values())
        self._peers.clear()
        if self._rtp is not None:
            self._rtp.close()
            self._rtp.peers.clear()
        self._reroute()
        await asyncio.gather(*(self._shutdown(peer) for peer in peers), return_exceptions=True)
        if self._closing_tasks:
            await asyncio.gather(*self._closing_tasks, return_exceptions=True)
        if self.recorder is not None:
            await asyncio.to_thread(self.recorder.finish)

    def stats(self) -> dict[str, Any]:
        participants: dict[str, Any] = {}
        for pid, peer in self._peers.items():
            if peer.rtp is not None:
                participants[pid] = self._rtp_stats(peer, peer.rtp)
                continue
            outgoing = {k: {"packets": 0, "bytes": 0, "dropped": 0} for k in KINDS}
            for slot in peer.slots:
                out = outgoing[slot.kind]
                out["packets"] += slot.track.packets_out
                out["bytes"] += slot.track.bytes_out
                out["dropped"] += slot.track.dropped
            participants[pid] = {
                "connection_state": peer.state,
                "admitted": self._admitted.get(pid, False),
                "audio_only": self._audio_only.get(pid, False),
                "in": {k: {"packets": c.packets, "bytes": c.bytes} for k, c in peer.incoming.items()},
                "out": outgoing,
                "sources": [slot.source for slot in peer.slots],
                "keyframe_requests": {
                    "received": peer.keyframe_requests_received,
                    "forwarded": peer.keyframe_requests_forwarded,
                    "sent": sum(
                        passthrough.receiver_stats(r).get("keyframe_requests_sent", 0) for r in peer.receivers.values()
                    ),
                },
                "receivers": {k: passthrough.receiver_stats(r) for k, r in peer.receivers.items()},
                "srtp_profile": passthrough.srtp_profile(peer.pc),
            }
        return {"room_id": self.room_id, "forwarding": self.forwarding, "participants": participants}

    def _rtp_stats(self, peer: _Peer, rtp: RtpPeer) -> dict[str, Any]:
        outgoing = {k: {"packets": 0, "bytes": 0, "dropped": 0, "retransmitted": 0, "nack_misses": 0} for k in KINDS}
        for slot in peer.slots:
            if slot.out is None:
                continue
            out = outgoing[slot.kind]
            out["packets"] += slot.out.packets
            out["bytes"] += slot.out.octets
            out["dropped"] += slot.out.dropped
            out["retransmitted"] += slot.out.retransmitted
            out["nack_misses"] += slot.out.nack_misses
        return {
            "connection_state": peer.state,
            "admitted": self._admitted.get(peer.id, False),
            "audio_only": self._audio_only.get(peer.id, False),
            "in": {
                k: {
                    "packets": s.packets,
                    "bytes": s.octets,
                    "nacks_sent": s.nacks_sent,
                    "recovered": s.recovered,
                    "payload_type": rtp.receive[k].payload_type if k in rtp.receive else None,
                }
                for k, s in rtp.incoming.items()
            },
            "out": outgoing,
            "sources": [slot.source for slot in peer.slots],
            "payload_types": [slot.out.parameters.payload_type if slot.out else None for slot in peer.slots],
            "keyframe_requests": {
                "received": rtp.keyframe_requests_received,
                "sent": rtp.keyframe_requests_sent,
            },
            "nacks_received": rtp.nacks_received,
            "rtcp_received": rtp.rtcp_received,
            "transport": {
                "unprotect_failures": peer.transport.unprotect_failures if peer.transport else 0,
                "protect_failures": peer.transport.protect_failures if peer.transport else 0,
                "send_failures": peer.transport.send_failures if peer.transport else 0,
            },
            "srtp_profile": passthrough.srtp_profile(peer.pc),
        }

    # ---- keyframes ----

    def request_keyframe(self, participant_id: str) -> bool:
        """Ask a participant's video sender for a keyframe (rate-limited per receiver)."""
        if self._rtp is not None:
            return self._rtp.request_keyframe(participant_id)
        peer = self._peers.get(participant_id)
        receiver = peer.receivers.get("video") if peer is not None else None
        if receiver is None:
            return False
        return passthrough.request_keyframe(receiver)

    def _recorder_wants_keyframe(self, participant_id: str) -> None:
        self.request_keyframe(participant_id)

    def _slot_keyframe_callback(self, slot: _Slot) -> Callable[[], None]:
        def callback() -> None:
            if slot.source is not None:
                self.request_keyframe(slot.source)

        return callback

    def _remote_keyframe_callback(self, peer: _Peer, slot: _Slot) -> Callable[[], None]:
        def callback() -> None:
            peer.keyframe_requests_received += 1
            if slot.source is not None and self.request_keyframe(slot.source):
                peer.keyframe_requests_forwarded += 1

        return callback

    # ---- internals ----

    @staticmethod
    def _offered_kinds(offer_sdp: str) -> list[tuple[str, str]]:
        try:
            description = SessionDescription.parse(offer_sdp)
        except Exception as exc:
            raise InvalidOffer(f"unparsable SDP: {exc}") from exc
        kinds = [(m.kind, m.direction or "sendrecv") for m in description.media if m.kind in KINDS]
        if not kinds:
            raise InvalidOffer("the offer has no audio or video section")
        for kind, wanted in (("video", "vp8"), ("audio", "opus")):
            for media in description.media:
                if media.kind == kind and not any(c.name.lower() == wanted for c in media.rtp.codecs):
                    raise InvalidOffer(f"the offer's {kind} section has no {wanted.upper()}")
        return kinds

    def _watch(self, peer: _Peer) -> None:
        pc = peer.pc

        @pc.on("connectionstatechange")
        def on_state() -> None:
            state = pc.connectionState
            peer.state = state
            if self._peers.get(peer.id) is not peer:
                return  # a replaced connection: its end is not the participant's
            if state == "connected":
                self._request_keyframes_around(peer.id)
            elif state in ("disconnected", "failed"):
                self._note({"type": "reconnecting", "participant_id": peer.id, "state": state})
            if state in ("connecting", "connected", "disconnected", "failed", "closed"):
                self._emit_state(peer.id, state)

        @pc.on("datachannel")
        def on_datachannel(channel: RTCDataChannel) -> None:
            if channel.label != "chat":
                return
            peer.channel = channel

            @channel.on("message")
            def on_message(message: str | bytes) -> None:
                self._channel_message(peer, message)

    def _channel_message(self, peer: _Peer, message: str | bytes) -> None:
        if self._peers.get(peer.id) is not peer or self.on_message is None:
            return
        if len(message) > MAX_CHAT_MESSAGE_BYTES:
            return
        try:
            data = json.loads(message)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        try:
            self.on_message(peer.id, data)
        except Exception:
            logger.exception("on_message failed", extra={"room_id": self.room_id, "participant_id": peer.id})

    def _emit_state(self, participant_id: str, state: str) -> None:
        if self.on_connection_state is None:
            return
        try:
            self.on_connection_state(participant_id, state)
        except Exception:
            logger.exception("on_connection_state failed", extra={"room_id": self.room_id})

    def _request_keyframes_around(self, participant_id: str) -> None:
        """A (re)connected participant: keyframes from it for its subscribers and from its sources for it."""
        self.request_keyframe(participant_id)
        peer = self._peers.get(participant_id)
        if peer is not None:
            for slot in peer.slots:
                if slot.kind == "video" and slot.source is not None:
                    self.request_keyframe(slot.source)

    def _note(self, event: dict[str, Any]) -> None:
        if self.recorder is not None:
            try:
                self.recorder.note(event)
            except Exception:
                logger.exception("recorder note failed", extra={"room_id": self.room_id})

    def _reroute(self) -> None:
        """Fill each participant's outgoing slots with the other admitted participants' media, in join order."""
        admitted = sorted(
            (pid for pid in self._peers if self._admitted.get(pid, False)), key=lambda pid: self._join_order[pid]
        )
        routes: dict[tuple[str, str], list[PacketTrack]] = {}
        rtp_routes: dict[tuple[str, str], list[OutStream]] = {}
        for pid, peer in self._peers.items():
            sources = [other for other in admitted if other != pid] if pid in admitted else []
            for kind in KINDS:
                slots = [slot for slot in peer.slots if slot.kind == kind]
                for index, slot in enumerate(slots):
                    source = sources[index] if index < len(sources) else None
                    if source != slot.source:
                        slot.source = source
                        slot.track.restart()
                        if slot.out is not None and self._rtp is not None:
                            slot.out.restart(
                                source, source is not None and self._rtp.extensions_match(source, slot.out)
                            )
                        if source is not None and kind == "video":
                            self.request_keyframe(source)
                    if source is not None:
                        routes.setdefault((source, kind), []).append(slot.track)
                        if slot.out is not None:
                            rtp_routes.setdefault((source, kind), []).append(slot.out)
        self._routes = routes
        if self._rtp is not None:
            self._rtp.set_routes(rtp_routes)

    def _spawn(self, peer: _Peer, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        peer.tasks.add(task)
        task.add_done_callback(peer.tasks.discard)

    def _packet_sink(self, peer: _Peer, kind: str) -> Callable[[av.Packet[Any]], None]:
        """What a receiver calls with each packet, on the event loop (see passthrough.set_packet_sink)."""
        counters = peer.incoming[kind]

        def sink(packet: av.Packet[Any]) -> None:
            counters.packets += 1
            counters.bytes += packet.size
            if self._peers.get(peer.id) is peer:
                self._dispatch(peer.id, kind, packet)

        return sink

    def _dispatch(self, participant_id: str, kind: str, packet: av.Packet[Any]) -> None:
        if not self._admitted.get(participant_id, False):
            return
        for track in self._routes.get((participant_id, kind), ()):
            try:
                track.push(packet)
            except Exception:
                logger.exception("forwarding a packet failed", extra={"room_id": self.room_id})
        if self.recorder is not None:
            try:
                cast("RoomRecorder", self.recorder).write(participant_id, kind, packet)
            except Exception:
                logger.exception("recording a packet failed", extra={"room_id": self.room_id})

    # ---- the RTP path ----

    def _send_negotiated(self, peer: _Peer, slot: _Slot) -> Callable[[StreamParameters], None]:
        """An outgoing section is negotiated (DTLS is up): its stream starts, filled by the slot's source."""

        def negotiated(parameters: StreamParameters) -> None:
            if peer.transport is None or self._rtp is None or peer.rtp is None:
                return
            out = OutStream(slot.kind, parameters, peer.transport, self._slot_keyframe_callback(slot))
            if parameters.ssrc is not None:
                peer.rtp.outs[parameters.ssrc] = out
            slot.out = out
            if slot.source is not None:
                out.restart(slot.source, self._rtp.extensions_match(slot.source, out))
            self._reroute()

        return negotiated

    def _receive_negotiated(self, peer: _Peer) -> Callable[[StreamParameters], None]:
        """An incoming section is negotiated: its payload types are known (and whether streams can keep extensions)."""

        def negotiated(parameters: StreamParameters) -> None:
            if peer.rtp is None or self._rtp is None:
                return
            peer.rtp.set_receive(parameters)
            for other in self._peers.values():
                for slot in other.slots:
                    if slot.out is not None and slot.source == peer.id and slot.kind == parameters.kind:
                        slot.out.keep_extensions = self._rtp.extensions_match(peer.id, slot.out)

        return negotiated

    def _rtp_handler(self, rtp: RtpPeer) -> Callable[[bytes, float], None]:
        room = self._rtp
        if room is None:  # pragma: no cover - only called on the RTP path
            raise RuntimeError("not on the RTP path")

        def on_rtp(packet: bytes, arrival: float) -> None:
            room.on_rtp(rtp, packet, arrival)

        return on_rtp

    def _rtcp_handler(self, rtp: RtpPeer) -> Callable[[bytes], None]:
        room = self._rtp
        if room is None:  # pragma: no cover - only called on the RTP path
            raise RuntimeError("not on the RTP path")

        def on_rtcp(packet: bytes) -> None:
            room.on_rtcp(rtp, packet)

        return on_rtcp

    def _retire(self, peer: _Peer) -> None:
        """Close a replaced connection in the background (the new one is already routed)."""
        task = asyncio.get_running_loop().create_task(self._shutdown(peer))
        self._closing_tasks.add(task)
        task.add_done_callback(self._closing_tasks.discard)

    async def _shutdown(self, peer: _Peer) -> None:
        if peer.transport is not None:
            peer.transport.close()
        for slot in peer.slots:
            slot.track.stop()
        await self._close_pc(peer.pc)
        for task in list(peer.tasks):
            task.cancel()
        if peer.tasks:
            await asyncio.gather(*peer.tasks, return_exceptions=True)

    @staticmethod
    async def _close_pc(pc: RTCPeerConnection) -> None:
        started = time.monotonic()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(pc.close(), timeout=5)
        if time.monotonic() - started > 1:
            logger.warning("closing a peer connection took %.1f s", time.monotonic() - started)
