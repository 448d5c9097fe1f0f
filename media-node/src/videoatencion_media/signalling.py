"""Signalling: ``POST /rooms/{room}/offer`` (SDP offer + join token → answer) and ``GET /rooms/{room}/events``
(the participant's WebSocket of room events), as API.md "Media node protocol" and the calls contract describe them.

Everything a client sends is checked here before a room sees it: the token, the room it is for, the request's shape,
the rate; a refusal is a problem document (HTTP) or an ``error`` message (WebSocket), never an exception that escapes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from aiohttp import WSMsgType, web

from videoatencion_media.auth import InvalidTokenError, JoinClaims, TokenVerifier
from videoatencion_media.engine import InvalidOffer
from videoatencion_media.limits import KeyedBuckets, SignallingLimits, TokenBucket, retry_after
from videoatencion_media.problems import problem_response
from videoatencion_media.protocol import MAX_MESSAGE_BYTES, RefusedError, parse_text
from videoatencion_media.rooms import (
    ForeignRoomError,
    Identity,
    NodeUnavailableError,
    Room,
    RoomEndedError,
    RoomFullError,
    RoomRegistry,
)
from videoatencion_media.sessions import SessionWatch

MAX_SDP_BYTES = 64 * 1024
MAX_OFFER_BODY_BYTES = MAX_SDP_BYTES + 8 * 1024
SOCKET_QUEUE_LIMIT = 256
SOCKET_HEARTBEAT_SECONDS = 20.0
# What a 503 asks the client to wait: the API places the room again meanwhile (another node, or this one once free).
UNAVAILABLE_RETRY_AFTER = "5"

_RTPMAP = re.compile(r"^a=rtpmap:\d+ ([A-Za-z0-9_-]+)/\d+", re.MULTILINE)
_MEDIA = re.compile(r"^m=(audio|video|application) ", re.MULTILINE)

logger = logging.getLogger(__name__)


class Signalling:
    """What the signalling routes work with: the rooms, the token verifier and the flood limits' buckets."""

    def __init__(
        self,
        rooms: RoomRegistry,
        verifier: TokenVerifier,
        limits: SignallingLimits | None = None,
        trust_loopback_proxy: bool = False,
        sessions: SessionWatch | None = None,
        public_peers_only: bool = False,
    ) -> None:
        self.rooms = rooms
        self.verifier = verifier
        # Without the API's address or secret the watch never asks, and nothing is ever revoked.
        self.sessions = sessions if sessions is not None else SessionWatch(rooms, None, None, "")
        # Behind a TLS proxy in the same task (production), every request comes from 127.0.0.1: the client's address
        # is then the last X-Forwarded-For entry, which that proxy writes (Caddy replaces what an untrusted client
        # sent). Only then: anywhere else the header is the client's to forge.
        self.trust_loopback_proxy = trust_loopback_proxy
        self.public_peers_only = public_peers_only
        self.limits = limits if limits is not None else SignallingLimits()
        self.offers_per_ip = KeyedBuckets(self.limits.offers_per_ip)
        self.offers_per_participant = KeyedBuckets(self.limits.offers_per_participant)
        self.sockets_per_ip = KeyedBuckets(self.limits.sockets_per_ip)


SIGNALLING = web.AppKey("signalling", Signalling)
_LOOPBACK = frozenset({"127.0.0.1", "::1"})


def client_address(request: web.Request, trust_loopback_proxy: bool) -> str:
    """The address the flood limits count: the peer's, or the proxy's report of it when the peer is our own proxy."""
    peer = request.remote or "unknown"
    if trust_loopback_proxy and peer in _LOOPBACK:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return peer


def add_routes(app: web.Application, signalling: Signalling) -> None:
    app[SIGNALLING] = signalling
    app.router.add_post("/rooms/{room}/offer", offer)
    app.router.add_get("/rooms/{room}/events", events)


def _too_many(seconds: float) -> web.Response:
    return problem_response(
        429, "rate_limited", "Too many requests; try again shortly.", headers={"Retry-After": retry_after(seconds)}
    )


def _limited(buckets: KeyedBuckets, key: str) -> web.Response | None:
    """429 once ``key`` (an address, a participant) has used up its allowance in ``buckets``; None while it may go
    on."""
    wait = buckets.take(key)
    return None if wait is None else _too_many(wait)


def _unavailable(reason: str) -> web.Response:
    detail = "The node is shutting down." if reason == "draining" else "The node holds as many rooms as it may."
    return problem_response(503, f"node_{reason}", detail, headers={"Retry-After": UNAVAILABLE_RETRY_AFTER})


async def _claims_for(signalling: Signalling, room_id: str, token: object) -> JoinClaims | web.Response:
    try:
        claims = await signalling.verifier.verify(token if isinstance(token, str) else None)
    except InvalidTokenError as error:
        logger.info("join token refused", extra={"reason": str(error)})
        return problem_response(401, "invalid_token", "The join token is missing, invalid or expired.")
    if claims.room_id != room_id:
        return problem_response(403, "wrong_room", "The join token is for another room.")
    if signalling.sessions.is_revoked(claims.session_id):
        return problem_response(401, "session_revoked", "The sign-in this token came from has ended; sign in again.")
    return claims


def _open_room(rooms: RoomRegistry, claims: JoinClaims) -> Room | web.Response:
    try:
        return rooms.open(claims.room_id, claims.appointment_id, issued_at=claims.issued_at)
    except ForeignRoomError:
        return problem_response(403, "wrong_room", "The join token is for another room.")
    except RoomEndedError:
        return problem_response(409, "room_ended", "This call has ended.")
    except NodeUnavailableError as unavailable:
        return _unavailable(unavailable.reason)


async def offer(request: web.Request) -> web.Response:
    signalling = request.app[SIGNALLING]
    room_id = request.match_info["room"]
    over = _limited(signalling.offers_per_ip, client_address(request, signalling.trust_loopback_proxy))
    if over is not None:
        return over

    if request.content_length is not None and request.content_length > MAX_OFFER_BODY_BYTES:
        return problem_response(400, "invalid_offer", "The offer is too large.")
    try:
        raw = await request.content.read(MAX_OFFER_BODY_BYTES + 1)
        body = json.loads(raw) if len(raw) <= MAX_OFFER_BODY_BYTES else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return problem_response(400, "invalid_offer", "The body must be a JSON object {sdp, type, token}.")

    claims = await _claims_for(signalling, room_id, body.get("token"))
    if isinstance(claims, web.Response):
        return claims
    over = _limited(signalling.offers_per_participant, f"{room_id}/{claims.participant_id}")
    if over is not None:
        return over

    sdp = body.get("sdp")
    problem = _offer_problem(body.get("type"), sdp)
    if problem is not None or not isinstance(sdp, str):
        return problem_response(400, "invalid_offer", problem or "sdp must be a string.")

    room = _open_room(signalling.rooms, claims)
    if isinstance(room, web.Response):
        return room
    if signalling.public_peers_only:
        sdp = public_candidates_only(sdp)
    identity = Identity(claims.participant_id, claims.role, claims.name)
    signalling.sessions.note(room_id, claims.participant_id, claims.session_id)
    try:
        answer = await room.offer(identity, sdp)
    except RoomFullError:
        return problem_response(409, "room_full", "The room already has as many participants as a call allows.")
    except RoomEndedError:
        return problem_response(409, "room_ended", "This call has ended.")
    except InvalidOffer as error:
        return problem_response(400, "invalid_offer", str(error) or "The SDP offer cannot be used.")
    return web.json_response({"sdp": answer, "type": "answer", "participant_id": claims.participant_id})


def public_candidates_only(sdp: str) -> str:
    """The offer without ICE candidates whose address is not a public IP (private, loopback, link-local, mDNS names,
    …): the node never sends connectivity checks there, the same rule as TURN's deny list. A client behind NAT still
    connects through its server-reflexive or relay candidates, or the node learns its address from its own checks."""
    kept = []
    for line in sdp.splitlines(keepends=True):
        fields = line.split()
        if line.startswith("a=candidate:") and (len(fields) < 5 or not _is_public(fields[4])):
            continue
        kept.append(line)
    return "".join(kept)


def _is_public(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False  # an mDNS name (….local) stands for a LAN address


def _offer_problem(kind: object, sdp: object) -> str | None:
    """A cheap look at the offer before any room or peer connection exists; the engine checks it thoroughly."""
    if kind != "offer":
        return 'type must be "offer".'
    if not isinstance(sdp, str) or not sdp.strip():
        return "sdp must be a non-empty string."
    if len(sdp.encode()) > MAX_SDP_BYTES:
        return "The SDP is too large."
    if not sdp.lstrip().startswith("v=0"):
        return "The SDP does not start with v=0."
    sections = set(_MEDIA.findall(sdp))
    if not sections & {"audio", "video"}:
        return "The offer has no audio or video section."
    codecs = {codec.lower() for codec in _RTPMAP.findall(sdp)}
    if "video" in sections and "vp8" not in codecs:
        return "The offer must include VP8 video."
    if "audio" in sections and "opus" not in codecs:
        return "The offer must include Opus audio."
    return None


class SocketSink:
    """Sends a room's events to one WebSocket in order, from its own task, so a slow client never holds up the room;
    one that falls too far behind is disconnected (it reconnects and gets the whole state again)."""

    def __init__(self, ws: web.WebSocketResponse, limit: int = SOCKET_QUEUE_LIMIT) -> None:
        self._ws = ws
        self._limit = limit
        self._queue: asyncio.Queue[Mapping[str, Any] | None] = asyncio.Queue()
        self._closing = False
        self._task = asyncio.get_running_loop().create_task(self._write())

    def deliver(self, event: Mapping[str, Any]) -> None:
        if self._closing:
            return
        if self._queue.qsize() >= self._limit:
            logger.warning("events socket too slow, closing it")
            self.close()
            return
        self._queue.put_nowait(event)

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._queue.put_nowait(None)

    async def _write(self) -> None:
        while True:
            event = await self._queue.get()
            if event is None:
                with contextlib.suppress(Exception):
                    await self._ws.close()
                return
            try:
                await self._ws.send_str(json.dumps(event, ensure_ascii=False))
            except (ConnectionError, RuntimeError):
                return

    async def finish(self, within: float = 1.0) -> None:
        """Let queued events go out (briefly), then stop."""
        self.close()
        await asyncio.wait({self._task}, timeout=within)
        self._task.cancel()


async def events(request: web.Request) -> web.StreamResponse:
    signalling = request.app[SIGNALLING]
    room_id = request.match_info["room"]
    over = _limited(signalling.sockets_per_ip, client_address(request, signalling.trust_loopback_proxy))
    if over is not None:
        return over
    claims = await _claims_for(signalling, room_id, request.query.get("token"))
    if isinstance(claims, web.Response):
        return claims

    room = signalling.rooms.get(room_id)
    if room is not None and room.appointment_id != claims.appointment_id:
        return problem_response(403, "wrong_room", "The join token is for another room.")
    if room is None:
        try:
            room = signalling.rooms.open(room_id, claims.appointment_id, issued_at=claims.issued_at)
        except RoomEndedError:
            room = None
        except NodeUnavailableError as unavailable:
            return _unavailable(unavailable.reason)
        else:
            # Nobody is in it yet: it goes after the grace period unless an offer comes.
            room.start_idle_timer()

    ws = web.WebSocketResponse(heartbeat=SOCKET_HEARTBEAT_SECONDS, max_msg_size=MAX_MESSAGE_BYTES)
    await ws.prepare(request)
    if room is None:
        # The call is over; the client learns it the same way it would have learnt it while connected.
        await ws.send_json({"type": "ended", "by": None, "reason": "ended"})
        await ws.close()
        return ws

    pid = claims.participant_id
    sink = SocketSink(ws)
    signalling.sessions.note(room_id, pid, claims.session_id)
    room.subscribe(pid, sink)
    bucket = TokenBucket(signalling.limits.messages_per_socket)
    try:
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                if bucket.take() is not None:
                    sink.deliver(
                        RefusedError("rate_limited", "Too many messages; the connection is closed.").as_event()
                    )
                    break
                try:
                    await room.handle(pid, parse_text(message.data))
                except RefusedError as refused:
                    sink.deliver(refused.as_event())
            elif message.type is WSMsgType.BINARY:
                sink.deliver(RefusedError("invalid_message", "Messages are JSON text.").as_event())
            else:
                break
    finally:
        room.unsubscribe(pid, sink)
        await sink.finish()
    return ws
