"""Room and recording events reported to the API: signed POSTs to ``{MEDIA_API_URL}/media/events``.

Every event is written to disk (under the recordings folder) before it is sent and removed once the API took it, so
an API outage or a node restart delays an event but never loses it: a restarted node sends what its predecessor
could not. Delivery is in order, one at a time, retried with exponential backoff; ``event_id`` lets the API ignore a
repeat (a crash between delivery and removal sends it twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import random
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout

from videoatencion_media.protocol import now_iso

SPOOL_FOLDER = ".webhooks"
# Answers that will never turn into a success by sending the same event again; the event is set aside, not retried.
_PERMANENT_FAILURES = frozenset({400, 404, 405, 410, 413, 422})

logger = logging.getLogger(__name__)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Media-Signature value: ``v1=`` + hex HMAC-SHA256 of ``timestamp + "." + body``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def signed_headers(secret: str, node_id: str, timestamp: str, body: bytes) -> dict[str, str]:
    """The headers of every signed POST the node makes to the API (events and session checks alike)."""
    return {
        "Content-Type": "application/json",
        "X-Media-Node": node_id,
        "X-Media-Timestamp": timestamp,
        "X-Media-Signature": sign(secret, timestamp, body),
    }


class WebhookSender:
    def __init__(
        self,
        url: str | None,
        secret: str | None,
        node_id: str,
        spool_dir: Path,
        *,
        first_delay: float = 0.5,
        max_delay: float = 30.0,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.enabled = url is not None and secret is not None
        self._url = url
        self._secret = secret or ""
        self._node_id = node_id
        self._spool = spool_dir
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._timeout = timeout
        self._clock = clock
        self._queue: deque[Path] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._session: ClientSession | None = None
        self.delivered = 0

    @property
    def pending(self) -> int:
        return len(self._queue)

    def emit(self, event_type: str, room_id: str, appointment_id: str, fields: dict[str, Any]) -> None:
        """Queue an event; written to disk at once, sent in the background."""
        if not self.enabled:
            return
        event_id = uuid.uuid4().hex
        body = {
            "event_id": event_id,
            "type": event_type,
            "room_id": room_id,
            "appointment_id": appointment_id,
            "at": now_iso(),
            **fields,
        }
        # Named by time first, so a restart sends the leftovers in the order they happened.
        path = self._spool / f"{time.time_ns():020d}-{event_id}.json"
        temporary = path.with_suffix(".tmp")
        try:
            self._spool.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
            temporary.replace(path)
        except OSError:
            # A full or broken disk must not break the call; the event is lost and the log says which.
            logger.exception("could not keep a webhook event", extra={"event": body})
            return
        self._enqueue(path)

    def recover(self) -> int:
        """Queue the events a previous run of this node left undelivered; returns how many."""
        if not self.enabled or not self._spool.is_dir():
            return 0
        for leftover in self._spool.glob("*.tmp"):
            leftover.unlink(missing_ok=True)
        found = sorted(self._spool.glob("*.json"))
        for path in found:
            if path not in self._queue:
                self._enqueue(path)
        if found:
            logger.info("re-sending undelivered webhooks", extra={"count": len(found)})
        return len(found)

    def _enqueue(self, path: Path) -> None:
        self._queue.append(path)
        self._idle.clear()
        self._wake.set()

    async def run(self) -> None:
        """Deliver queued events until cancelled."""
        try:
            while True:
                if not self._queue:
                    self._idle.set()
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                path = self._queue[0]
                await self._deliver_with_retries(path)
                self._queue.popleft()
        finally:
            if self._session is not None:
                await self._session.close()

    async def drain(self, within: float) -> bool:
        """Wait until every queued event is delivered; False if some are still pending (they stay on disk)."""
        try:
            async with asyncio.timeout(within):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    async def _deliver_with_retries(self, path: Path) -> None:
        attempt = 0
        while True:
            try:
                body = await asyncio.to_thread(path.read_bytes)
            except FileNotFoundError:
                return
            outcome = await self._post(body)
            if outcome == "delivered":
                await asyncio.to_thread(path.unlink, missing_ok=True)
                self.delivered += 1
                return
            if outcome == "rejected":
                # Kept for an operator to look at, out of the retry queue.
                with contextlib.suppress(OSError):
                    await asyncio.to_thread(path.replace, path.with_suffix(".rejected"))
                return
            delay = min(self._max_delay, self._first_delay * 2**attempt) * (0.5 + random.random() / 2)  # noqa: S311
            attempt += 1
            await asyncio.sleep(delay)

    async def _post(self, body: bytes) -> str:
        assert self._url is not None  # noqa: S101 - emit() queues nothing when disabled
        timestamp = str(int(self._clock()))
        headers = signed_headers(self._secret, self._node_id, timestamp, body)
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=self._timeout))
        try:
            async with self._session.post(self._url, data=body, headers=headers) as response:
                status = response.status
        except (ClientError, TimeoutError, OSError) as error:
            logger.warning("webhook not delivered", extra={"error": repr(error)})
            return "retry"
        if 200 <= status < 300:
            return "delivered"
        if status in _PERMANENT_FAILURES:
            logger.error("webhook rejected by the API", extra={"status": status})
            return "rejected"
        logger.warning("webhook not accepted, will retry", extra={"status": status})
        return "retry"


def spool_dir(recordings_dir: Path) -> Path:
    return recordings_dir / SPOOL_FOLDER
