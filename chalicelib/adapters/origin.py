"""The CloudFront origin secret: which ``X-Origin-Verify`` values prove a request came through our distribution.

The value lives in Secrets Manager and rotates (``infra/origin_rotation/index.py``): during a rotation CloudFront
may send the new value (AWSPENDING, then AWSCURRENT) while requests already in flight carry the old one
(AWSPREVIOUS), so all three are accepted. Values are cached for a short time; a value we do not know triggers one
early re-read (at most every ``min_refresh_seconds``), so a rotation takes effect at once without letting a flood
of wrong values turn into a flood of Secrets Manager calls.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from typing import Any

STAGES = ("AWSCURRENT", "AWSPENDING", "AWSPREVIOUS")


class OriginSecret:
    def __init__(
        self,
        client: Any,
        secret_id: str,
        ttl_seconds: float = 300,
        min_refresh_seconds: float = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._secret_id = secret_id
        self._ttl = ttl_seconds
        self._min_refresh = min_refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._values: tuple[bytes, ...] = ()
        self._read_at: float | None = None

    def accepts(self, presented: str | None) -> bool:
        if not presented:
            return False
        given = presented.encode()
        with self._lock:
            now = self._clock()
            stale = self._read_at is None or now - self._read_at >= self._ttl
            unknown = not stale and not self._matches(given)
            if stale or (unknown and self._read_at is not None and now - self._read_at >= self._min_refresh):
                self._read(now)
            return self._matches(given)

    def _matches(self, given: bytes) -> bool:
        # Every value is compared (no early exit), each in constant time.
        return sum(hmac.compare_digest(given, value) for value in self._values) > 0

    def _read(self, now: float) -> None:
        values = []
        for stage in STAGES:
            try:
                response = self._client.get_secret_value(SecretId=self._secret_id, VersionStage=stage)
            except self._client.exceptions.ResourceNotFoundException:
                continue  # no rotation under way (AWSPENDING) or none yet (AWSPREVIOUS)
            values.append(str(response["SecretString"]).encode())
        self._values = tuple(v for v in values if v)
        self._read_at = now
