"""Sign-outs reach the calls: every few seconds the node asks the API which of its participants' sessions it revoked.

A join token is good for two minutes and a call lasts far longer, so without this a person who signed out, or a staff
member whose account was disabled, would stay in the room (and could rejoin with a token fetched just before). Each
token names its session (``sid``); the node sends the sessions of everyone in its rooms to ``POST /media/sessions``,
signed like its reports, and puts out whoever's session comes back revoked. From then on that session's tokens are
refused here too. The API being unreachable keeps everyone in: a dropped call for an outage would hurt more than a
few more seconds for a revoked session, and the next answer catches up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

from aiohttp import ClientError, ClientSession, ClientTimeout

from videoatencion_media.rooms import RoomRegistry
from videoatencion_media.webhooks import signed_headers

DEFAULT_CHECK_SECONDS = 5.0
# Longer than any join token issued before the sign-out lives (2 minutes plus the verifier's leeway).
REMEMBER_REVOKED_SECONDS = 600.0

logger = logging.getLogger(__name__)


class SessionWatch:
    def __init__(
        self,
        rooms: RoomRegistry,
        url: str | None,
        secret: str | None,
        node_id: str,
        *,
        interval: float = DEFAULT_CHECK_SECONDS,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.enabled = url is not None and secret is not None
        self._rooms = rooms
        self._url = url
        self._secret = secret or ""
        self._node_id = node_id
        self._interval = interval
        self._timeout = timeout
        self._clock = clock
        # (room, participant) → the session of the token it joined with; a reconnection's token replaces it.
        self._participants: dict[tuple[str, str], str] = {}
        self._revoked: dict[str, float] = {}
        self._session: ClientSession | None = None
        self.checks = 0

    def note(self, room_id: str, participant_id: str, session_id: str) -> None:
        """Remember whose session a participant of a room holds (after its token was accepted)."""
        self._participants[(room_id, participant_id)] = session_id

    def is_revoked(self, session_id: str) -> bool:
        forget_at = self._revoked.get(session_id)
        return forget_at is not None and forget_at > self._clock()

    async def run(self) -> None:
        """Check every ``interval`` seconds until cancelled."""
        try:
            while True:
                await asyncio.sleep(self._interval)
                try:
                    await self.check()
                except Exception:
                    # One bad round must not end the watch for the node's lifetime.
                    logger.exception("checking revoked sessions failed")
        finally:
            if self._session is not None:
                await self._session.close()

    async def check(self) -> None:
        """Ask the API once about the sessions in the rooms, and put out the revoked ones."""
        self._forget_gone()
        sessions = sorted(set(self._participants.values()))
        if not self.enabled or not sessions:
            return
        revoked = await self._ask(sessions)
        self.checks += 1
        if not revoked:
            return
        forget_at = self._clock() + REMEMBER_REVOKED_SECONDS
        for session_id in revoked:
            self._revoked[session_id] = forget_at
        for (room_id, participant_id), session_id in list(self._participants.items()):
            room = self._rooms.get(room_id)
            if session_id in revoked and room is not None:
                logger.info(
                    "participant put out: session revoked", extra={"room": room_id, "participant": participant_id}
                )
                self._participants.pop((room_id, participant_id), None)
                await room.revoke(participant_id)

    def _forget_gone(self) -> None:
        now = self._clock()
        self._revoked = {s: at for s, at in self._revoked.items() if at > now}
        for key in list(self._participants):
            room = self._rooms.get(key[0])
            if room is None or room.ended:
                del self._participants[key]

    async def _ask(self, sessions: list[str]) -> set[str]:
        assert self._url is not None  # noqa: S101 - check() asks only when enabled
        body = json.dumps({"sessions": sessions}, separators=(",", ":")).encode()
        timestamp = str(int(self._clock()))
        headers = signed_headers(self._secret, self._node_id, timestamp, body)
        if self._session is None or self._session.closed:
            self._session = ClientSession(timeout=ClientTimeout(total=self._timeout))
        try:
            async with self._session.post(self._url, data=body, headers=headers) as response:
                response.raise_for_status()
                answer = await response.json(content_type=None)
        except (ClientError, TimeoutError, ValueError):
            logger.warning("could not ask the API about revoked sessions", exc_info=True)
            return set()
        revoked = answer.get("revoked") if isinstance(answer, dict) else None
        if not isinstance(revoked, list):
            logger.warning("the API's answer about sessions has no revoked list")
            return set()
        return {s for s in revoked if isinstance(s, str) and s in sessions}
