"""Calls and the media node registry on DynamoDB.

Items of the ``calls`` table (pk ``appointment_id``, ``models.CallItem``):
- ``CALL``: the appointment's current room, its node and live state; every change is a conditional write on
  ``version`` (two reports, or two joins, can never overwrite each other);
- ``EVT#<event id>``: a node report already applied (reports are retried; TTL a week);
- ``REC#<room id>``: a finished recording: what the node reported (bucket, manifest key and SHA-256, segments,
  duration, status) in ``report``.

The ``media-nodes`` table is written by the nodes themselves (heartbeat); the API only reads it. TTL never fires
on moto and fires late on AWS, so readers skip stale heartbeats themselves (``MediaNode.healthy``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, PynamoDBException
from pynamodb.expressions.condition import Condition

from chalicelib.adapters.dynamo.models import CallItem, MediaNodeItem, bound
from chalicelib.domain.calls import Call, CallState, MediaNode, Participant, RecordingState
from chalicelib.domain.errors import DependencyUnavailable

EVENT_SEEN_SECONDS = 7 * 24 * 3600
CALL = "CALL"


def call_to_item(model: type[CallItem], call: Call) -> CallItem:
    return model(
        call.appointment_id,
        CALL,
        room_id=call.room_id,
        node_id=call.node_id,
        media_url=call.media_url,
        state=call.state.value,
        created_at=call.created_at,
        waiting_since=call.waiting_since,
        participants={pid: asdict(p) for pid, p in call.participants.items()},
        recording=call.recording.value,
        ended_at=call.ended_at,
        admitted_at=call.admitted_at,
        version=call.version,
    )


def call_from_item(item: CallItem) -> Call:
    participants = item.participants.as_dict() if item.participants else {}
    return Call(
        appointment_id=item.appointment_id,
        room_id=item.room_id or "",
        node_id=item.node_id or "",
        media_url=item.media_url or "",
        state=CallState(item.state),
        created_at=item.created_at or "",
        waiting_since=item.waiting_since,
        participants={pid: Participant(**p) for pid, p in participants.items()},
        recording=RecordingState(item.recording or "none"),
        ended_at=item.ended_at,
        admitted_at=item.admitted_at,
        version=int(item.version or 1),
    )


def node_from_item(item: MediaNodeItem) -> MediaNode | None:
    if not item.url:
        return None  # a malformed registration is no node to send calls to
    return MediaNode(
        node_id=item.node_id,
        url=item.url,
        rooms=int(item.rooms or 0),
        participants=int(item.participants or 0),
        max_rooms=int(item.max_rooms or 0),
        cpu=float(item.cpu or 0),
        draining=bool(item.draining),
        heartbeat_at=int(item.heartbeat_at or 0),
    )


class DynamoCallStore:
    def __init__(self, calls: type[CallItem], nodes: type[MediaNodeItem]) -> None:
        self._calls = calls
        self._nodes = nodes

    def get(self, appointment_id: str) -> Call | None:
        try:
            return call_from_item(self._calls.get(appointment_id, CALL, consistent_read=True))
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise DependencyUnavailable("The call could not be read.") from exc

    def many(self, appointment_ids: list[str]) -> dict[str, Call]:
        """The calls of these appointments (those that have one); PynamoDB asks in batches of 100."""
        try:
            found = list(self._calls.batch_get([(i, CALL) for i in sorted(set(appointment_ids))]))
        except PynamoDBException as exc:
            raise DependencyUnavailable("The calls could not be read.") from exc
        return {item.appointment_id: call_from_item(item) for item in found}

    def put(self, call: Call, replacing: Call | None) -> bool:
        """Store a new room for the appointment, unless someone else changed the call first (False)."""
        model = self._calls
        condition = model.appointment_id.does_not_exist() if replacing is None else model.version == replacing.version
        return self._save_if(call_to_item(model, call), condition)

    def save(self, call: Call, expected_version: int) -> bool:
        return self._save_if(call_to_item(self._calls, call), self._calls.version == expected_version)

    def claim_event(self, appointment_id: str, event_id: str) -> bool:
        """Remember a node report; False if it was seen before (a retry)."""
        seen = self._calls(appointment_id, f"EVT#{event_id}", expires_at=int(time.time()) + EVENT_SEEN_SECONDS)
        return self._save_if(seen, self._calls.appointment_id.does_not_exist())

    def forget_event(self, appointment_id: str, event_id: str) -> None:
        try:
            self._calls(appointment_id, f"EVT#{event_id}").delete()
        except PynamoDBException as exc:
            raise DependencyUnavailable("The call could not be updated.") from exc

    def put_recording(self, appointment_id: str, room_id: str, recording: Mapping[str, Any]) -> None:
        report = {k: v for k, v in recording.items() if v is not None}
        try:
            self._calls(appointment_id, f"REC#{room_id}", room_id=room_id, report=report).save()
        except PynamoDBException as exc:
            raise DependencyUnavailable("The recording could not be registered.") from exc

    def recordings(self, appointment_id: str) -> list[dict[str, Any]]:
        model = self._calls
        try:
            found = list(model.query(appointment_id, model.sk.startswith("REC#"), consistent_read=True))
        except PynamoDBException as exc:
            raise DependencyUnavailable("The recordings could not be read.") from exc
        return [
            {
                **(i.report.as_dict() if i.report else {}),
                "appointment_id": i.appointment_id,
                "sk": i.sk,
                "room_id": i.room_id,
            }
            for i in found
        ]

    def nodes(self) -> list[MediaNode]:
        try:
            found = list(self._nodes.scan())
        except PynamoDBException as exc:
            raise DependencyUnavailable("The media nodes could not be listed.") from exc
        return [n for n in map(node_from_item, found) if n is not None]

    def _save_if(self, item: CallItem, condition: Condition) -> bool:
        try:
            item.save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise DependencyUnavailable("The call could not be saved.") from exc
        return True


def call_store(calls_table: str, nodes_table: str, *, region: str, host: str | None) -> DynamoCallStore:
    """The store on one stage's tables."""
    return DynamoCallStore(
        bound(CallItem, calls_table, region=region, host=host),
        bound(MediaNodeItem, nodes_table, region=region, host=host),
    )
