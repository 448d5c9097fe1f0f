"""What the node tells ECS's autoscaling on each registry heartbeat: its load as a CloudWatch metric, and whether it
may be stopped.

**Rooms per node** is published in CloudWatch's Embedded Metric Format (EMF): one JSON line on stdout, which the
task's ``awslogs`` driver ships to CloudWatch Logs, where it becomes the metrics ``Rooms`` and ``Participants`` in
``MEDIA_METRICS_NAMESPACE`` with the dimension ``ServiceName`` = ``MEDIA_METRICS_SERVICE``. No API call, no
credentials, nothing to retry: a lost line is one lost sample. The media stack's target-tracking policy averages it
over the service's nodes.

**Scale-in protection**: while a node holds calls it asks the ECS agent (``$ECS_AGENT_URI/task-protection/v1/state``)
to protect its task for ``MEDIA_SCALE_IN_PROTECTION_MINUTES``, renewed while calls go on, so neither a scale-in nor a
deployment stops a task in the middle of a call. It never lifts the protection itself: with several worker processes
in one task, a worker without calls must not unprotect a sibling's; the protection lapses on its own once the last
call has been over for at most that long. (A stop that does come, e.g. a task replaced for its health, still drains:
see ``__main__``.)

Both are read from the environment here (unset = off), so they work without the rest of the node knowing of them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TextIO

import aiohttp

logger = logging.getLogger(__name__)

DIMENSION = "ServiceName"
DEFAULT_SERVICE = "videoatencion-media"
# The agent allows 1 to 2880 minutes.
MAX_PROTECTION_MINUTES = 2880
AGENT_TIMEOUT_SECONDS = 3.0


class EmfPublisher:
    """Writes one EMF line per sample: ``Rooms`` and ``Participants`` (unit Count) of this node."""

    def __init__(
        self,
        namespace: str,
        service: str,
        *,
        node_id: str | None = None,
        stream: TextIO | None = None,
    ) -> None:
        if not namespace or not service:
            raise ValueError("an EMF namespace and service name are required")
        self.namespace = namespace
        self.service = service
        self._node_id = node_id
        self._stream = stream

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EmfPublisher | None:
        env = os.environ if environ is None else environ
        namespace = env.get("MEDIA_METRICS_NAMESPACE", "").strip()
        if not namespace:
            return None
        return cls(namespace, env.get("MEDIA_METRICS_SERVICE", "").strip() or DEFAULT_SERVICE)

    def with_node(self, node_id: str) -> EmfPublisher:
        return EmfPublisher(self.namespace, self.service, node_id=node_id, stream=self._stream)

    def record(self, *, rooms: int, participants: int, timestamp: float) -> dict[str, object]:
        """The EMF document of one sample (``timestamp`` in seconds since the epoch)."""
        document: dict[str, object] = {
            "_aws": {
                "Timestamp": int(timestamp * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self.namespace,
                        "Dimensions": [[DIMENSION]],
                        "Metrics": [{"Name": "Rooms", "Unit": "Count"}, {"Name": "Participants", "Unit": "Count"}],
                    }
                ],
            },
            DIMENSION: self.service,
            "Rooms": rooms,
            "Participants": participants,
            "message": "node load",
        }
        if self._node_id is not None:
            # A plain field, not a dimension: one metric per service, not one per (short-lived) node.
            document["node_id"] = self._node_id
        return document

    def publish(self, *, rooms: int, participants: int, timestamp: float) -> None:
        stream = self._stream if self._stream is not None else sys.stdout
        line = json.dumps(self.record(rooms=rooms, participants=participants, timestamp=timestamp))
        # One write per line: the log driver must never see half a document.
        stream.write(line + "\n")
        stream.flush()


Put = Callable[[str, dict[str, object]], Awaitable[int]]


async def _agent_put(url: str, body: dict[str, object]) -> int:
    timeout = aiohttp.ClientTimeout(total=AGENT_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.put(url, json=body) as response:
        text = await response.text()
        # The agent answers 200 with {"failure": …} or {"error": …} when ECS refused.
        if response.status == 200 and ('"failure"' in text or '"error"' in text):
            logger.warning("ECS refused task scale-in protection", extra={"answer": text[:500]})
            return 502
        return response.status


class ScaleInProtection:
    """Keeps the task protected from scale-in while this node has rooms (renewed at half the period)."""

    def __init__(
        self,
        agent_uri: str,
        minutes: int,
        *,
        put: Put = _agent_put,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 1 <= minutes <= MAX_PROTECTION_MINUTES:
            raise ValueError(f"protection minutes must be 1 to {MAX_PROTECTION_MINUTES}")
        self.url = agent_uri.rstrip("/") + "/task-protection/v1/state"
        self.minutes = minutes
        self._put = put
        self._clock = clock
        self._renew_at: float | None = None  # None = not protected by us (as far as we know)
        self.requests = 0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ScaleInProtection | None:
        env = os.environ if environ is None else environ
        agent = env.get("ECS_AGENT_URI", "").strip()
        raw = env.get("MEDIA_SCALE_IN_PROTECTION_MINUTES", "").strip()
        if not agent or not raw:
            return None
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PROTECTION_MINUTES:
            logger.warning(
                "MEDIA_SCALE_IN_PROTECTION_MINUTES must be 1 to 2880: scale-in protection is off", extra={"got": raw}
            )
            return None
        return cls(agent, int(raw))

    @property
    def protected(self) -> bool:
        return self._renew_at is not None

    async def update(self, rooms: int) -> None:
        """Protect (or renew) while there are rooms; failures are logged and tried again on the next heartbeat."""
        if rooms <= 0:
            # Not lifted on purpose (module docstring): it lapses; renewals just stop.
            self._renew_at = None
            return
        now = self._clock()
        if self._renew_at is not None and now < self._renew_at:
            return
        self.requests += 1
        try:
            status = await self._put(self.url, {"ProtectionEnabled": True, "ExpiresInMinutes": self.minutes})
        except (aiohttp.ClientError, TimeoutError, OSError):
            logger.warning("could not reach the ECS agent for scale-in protection", exc_info=True)
            return
        if status != 200:
            logger.warning("task scale-in protection not set", extra={"status": status})
            return
        self._renew_at = now + self.minutes * 60 / 2


async def update_protection(protection: ScaleInProtection | None, rooms: int) -> None:
    if protection is not None:
        try:
            await asyncio.wait_for(protection.update(rooms), AGENT_TIMEOUT_SECONDS * 2)
        except TimeoutError:
            logger.warning("the ECS agent did not answer in time for scale-in protection")
