"""The node's entry in the DynamoDB node registry, which the API reads to place a new room on the least loaded node.

Every few seconds the node puts its URL and load; the API treats an entry older than 15 s as a dead node, and the
table's TTL removes it a minute later. boto3 blocks, so every call runs in a thread off the event loop.

Each heartbeat also tells ECS's autoscaling about the node (``scaling``): its rooms and participants as an EMF metric
line, and, while it holds calls, a renewal of its task's scale-in protection. Both are off unless the environment turns
them on (the media stack does).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from videoatencion_media.scaling import EmfPublisher, ScaleInProtection, update_protection

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

HEARTBEAT_SECONDS = 5.0
TTL_SECONDS = 60

logger = logging.getLogger(__name__)


class _FromEnvironment:
    """Default of the autoscaling hooks: read from the environment (``scaling``), off when not set there."""


FROM_ENVIRONMENT: Final = _FromEnvironment()


@dataclass(frozen=True, slots=True)
class Load:
    rooms: int
    participants: int


class NodeRegistration:
    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        *,
        node_id: str,
        url: str,
        max_rooms: int,
        load: Callable[[], Load],
        interval: float = HEARTBEAT_SECONDS,
        clock: Callable[[], float] = time.time,
        cpu_clock: Callable[[], float] = time.process_time,
        metrics: EmfPublisher | _FromEnvironment | None = FROM_ENVIRONMENT,
        protection: ScaleInProtection | _FromEnvironment | None = FROM_ENVIRONMENT,
    ) -> None:
        self._client = client
        self._table = table
        self.node_id = node_id
        self._url = url
        self._max_rooms = max_rooms
        self._load = load
        self._interval = interval
        self._clock = clock
        self._cpu_clock = cpu_clock
        self._draining = False
        self._last = (time.monotonic(), cpu_clock())
        self._lock = asyncio.Lock()
        self.heartbeats = 0
        if isinstance(metrics, _FromEnvironment):
            metrics = EmfPublisher.from_env()
        self.metrics = metrics.with_node(node_id) if metrics is not None else None
        self.protection = ScaleInProtection.from_env() if isinstance(protection, _FromEnvironment) else protection

    def item(self) -> dict[str, Any]:
        """The registry item as it is now: load, CPU over the last interval, draining flag, heartbeat and TTL."""
        wall, cpu = time.monotonic(), self._cpu_clock()
        last_wall, last_cpu = self._last
        self._last = (wall, cpu)
        cpu_fraction = (cpu - last_cpu) / (wall - last_wall) if wall > last_wall else 0.0
        load = self._load()
        now = int(self._clock())
        return {
            "node_id": {"S": self.node_id},
            "url": {"S": self._url},
            "rooms": {"N": str(load.rooms)},
            "participants": {"N": str(load.participants)},
            "max_rooms": {"N": str(self._max_rooms)},
            "cpu": {"N": f"{max(0.0, cpu_fraction):.3f}"},
            "draining": {"BOOL": self._draining},
            "heartbeat_at": {"N": str(now)},
            "expires_at": {"N": str(now + TTL_SECONDS)},
        }

    async def heartbeat(self) -> None:
        item = self.item()
        rooms, participants = int(item["rooms"]["N"]), int(item["participants"]["N"])
        # Before the put: the metric must not depend on DynamoDB being reachable.
        self._publish_load(rooms, participants)
        # One put at a time, so a slow one cannot land after a later one (or after the delete).
        async with self._lock:
            await asyncio.to_thread(self._client.put_item, TableName=self._table, Item=item)
        self.heartbeats += 1
        if not self._draining:
            # A stop has already been decided for a draining node: protection could not undo it.
            await update_protection(self.protection, rooms)

    def _publish_load(self, rooms: int, participants: int) -> None:
        if self.metrics is None:
            return
        try:
            self.metrics.publish(rooms=rooms, participants=participants, timestamp=self._clock())
        except (OSError, ValueError):
            logger.warning("could not write the load metric", extra={"node_id": self.node_id}, exc_info=True)

    async def run(self) -> None:
        """Heartbeat until cancelled; a failed put is logged and the next one tries again."""
        while True:
            try:
                await self.heartbeat()
            except Exception:
                logger.warning("node registry heartbeat failed", extra={"node_id": self.node_id}, exc_info=True)
            await asyncio.sleep(self._interval)

    async def set_draining(self) -> None:
        self._draining = True
        try:
            await self.heartbeat()
        except Exception:
            logger.warning("could not mark the node draining", extra={"node_id": self.node_id}, exc_info=True)

    async def deregister(self) -> None:
        try:
            async with self._lock:
                await asyncio.to_thread(
                    self._client.delete_item, TableName=self._table, Key={"node_id": {"S": self.node_id}}
                )
        except Exception:
            logger.warning(
                "could not remove the node from the registry", extra={"node_id": self.node_id}, exc_info=True
            )
