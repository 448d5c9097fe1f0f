"""Calls and the media node registry on DynamoDB.

Items of the ``calls`` table (pk ``appointment_id``):
- ``CALL``: the appointment's current room, its node and live state; every change is a conditional write on
  ``version`` (two reports, or two joins, can never overwrite each other);
- ``EVT#<event id>``: a node report already applied (reports are retried; TTL a week);
- ``REC#<room id>``: a finished recording: bucket, manifest key and SHA-256, segments, duration, status.

The ``media-nodes`` table is written by the nodes themselves (heartbeat); the API only reads it. TTL never fires
on moto and fires late on AWS, so readers skip stale heartbeats themselves (``MediaNode.healthy``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.calls import Call, CallState, MediaNode, Participant, RecordingState
from chalicelib.domain.errors import DependencyUnavailable

EVENT_SEEN_SECONDS = 7 * 24 * 3600
_serialise = TypeSerializer().serialize
_deserialise = TypeDeserializer().deserialize


def _item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serialise(Decimal(str(v)) if isinstance(v, float) else v) for k, v in values.items() if v is not None}


def _plain(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deserialise(v) for k, v in raw.items()}


def call_to_item(call: Call) -> dict[str, Any]:
    return _item(
        {
            "appointment_id": call.appointment_id,
            "sk": "CALL",
            "room_id": call.room_id,
            "node_id": call.node_id,
            "media_url": call.media_url,
            "state": call.state.value,
            "created_at": call.created_at,
            "waiting_since": call.waiting_since,
            "participants": {pid: asdict(p) for pid, p in call.participants.items()},
            "recording": call.recording.value,
            "ended_at": call.ended_at,
            "version": call.version,
        }
    )


def call_from_item(raw: Mapping[str, Any]) -> Call:
    d = _plain(raw)
    return Call(
        appointment_id=d["appointment_id"],
        room_id=d["room_id"],
        node_id=d["node_id"],
        media_url=d["media_url"],
        state=CallState(d["state"]),
        created_at=d.get("created_at", ""),
        waiting_since=d.get("waiting_since"),
        participants={pid: Participant(**p) for pid, p in (d.get("participants") or {}).items()},
        recording=RecordingState(d.get("recording", "none")),
        ended_at=d.get("ended_at"),
        version=int(d.get("version", 1)),
    )


def node_from_item(raw: Mapping[str, Any]) -> MediaNode | None:
    d = _plain(raw)
    try:
        return MediaNode(
            node_id=str(d["node_id"]),
            url=str(d["url"]),
            rooms=int(d.get("rooms", 0)),
            participants=int(d.get("participants", 0)),
            max_rooms=int(d.get("max_rooms", 0)),
            cpu=float(d.get("cpu", 0)),
            draining=bool(d.get("draining", False)),
            heartbeat_at=int(d.get("heartbeat_at", 0)),
        )
    except (KeyError, TypeError, ValueError):
        return None  # a malformed registration is no node to send calls to


class DynamoCallStore:
    def __init__(self, client: Any, calls_table: str, nodes_table: str) -> None:
        self._client = client
        self._calls = calls_table
        self._nodes = nodes_table

    def get(self, appointment_id: str) -> Call | None:
        try:
            found = self._client.get_item(
                TableName=self._calls, Key=_item({"appointment_id": appointment_id, "sk": "CALL"}), ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The call could not be read.") from exc
        item = found.get("Item")
        return call_from_item(item) if item else None

    def many(self, appointment_ids: list[str]) -> dict[str, Call]:
        """The calls of these appointments (those that have one), in batches of 100."""
        result: dict[str, Call] = {}
        ids = sorted(set(appointment_ids))
        try:
            for first in range(0, len(ids), 100):
                keys = [_item({"appointment_id": i, "sk": "CALL"}) for i in ids[first : first + 100]]
                request: dict[str, Any] = {self._calls: {"Keys": keys}}
                for _ in range(5):
                    answer = self._client.batch_get_item(RequestItems=request)
                    for raw in answer.get("Responses", {}).get(self._calls, []):
                        call = call_from_item(raw)
                        result[call.appointment_id] = call
                    request = answer.get("UnprocessedKeys") or {}
                    if not request:
                        break
                    time.sleep(0.05)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The calls could not be read.") from exc
        return result

    def put(self, call: Call, replacing: Call | None) -> bool:
        """Store a new room for the appointment, unless someone else changed the call first (False)."""
        if replacing is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(appointment_id)"}
        else:
            condition = {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(replacing.version)}},
            }
        return self._conditional_put(call_to_item(call), condition)

    def save(self, call: Call, expected_version: int) -> bool:
        condition = {
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": {":v": {"N": str(expected_version)}},
        }
        return self._conditional_put(call_to_item(call), condition)

    def claim_event(self, appointment_id: str, event_id: str) -> bool:
        """Remember a node report; False if it was seen before (a retry)."""
        item = _item(
            {
                "appointment_id": appointment_id,
                "sk": f"EVT#{event_id}",
                "expires_at": int(time.time()) + EVENT_SEEN_SECONDS,
            }
        )
        return self._conditional_put(item, {"ConditionExpression": "attribute_not_exists(appointment_id)"})

    def forget_event(self, appointment_id: str, event_id: str) -> None:
        try:
            self._client.delete_item(
                TableName=self._calls, Key=_item({"appointment_id": appointment_id, "sk": f"EVT#{event_id}"})
            )
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The call could not be updated.") from exc

    def put_recording(self, appointment_id: str, room_id: str, recording: Mapping[str, Any]) -> None:
        item = _item({**recording, "appointment_id": appointment_id, "sk": f"REC#{room_id}", "room_id": room_id})
        try:
            self._client.put_item(TableName=self._calls, Item=item)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The recording could not be registered.") from exc

    def recordings(self, appointment_id: str) -> list[dict[str, Any]]:
        try:
            answer = self._client.query(
                TableName=self._calls,
                KeyConditionExpression="appointment_id = :a AND begins_with(sk, :r)",
                ExpressionAttributeValues=_item({":a": appointment_id, ":r": "REC#"}),
                ConsistentRead=True,
            )
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The recordings could not be read.") from exc
        return [_plain(raw) for raw in answer.get("Items", [])]

    def nodes(self) -> list[MediaNode]:
        found: list[MediaNode] = []
        try:
            request: dict[str, Any] = {"TableName": self._nodes}
            while True:
                answer = self._client.scan(**request)
                found.extend(n for n in map(node_from_item, answer.get("Items", [])) if n is not None)
                if "LastEvaluatedKey" not in answer:
                    break
                request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The media nodes could not be listed.") from exc
        return found

    def _conditional_put(self, item: dict[str, Any], condition: dict[str, Any]) -> bool:
        try:
            self._client.put_item(TableName=self._calls, Item=item, **condition)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise DependencyUnavailable("The call could not be saved.") from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable("The call could not be saved.") from exc
        return True
