"""The retention register on DynamoDB (table ``records``, pk ``id``).

One item per recording (``rec-<room id>``) or document (``doc-<document id>``): its bucket and object keys, the
procedure types it serves, ``retain_until`` (UTC, ISO 8601 to the second, so strings sort as times), legal hold and
deletion. Indexes: ``by_appointment`` (appointment_id, created_at), ``by_day`` (day, start; recordings only: the
council day of their appointment) and the sparse ``live`` (live, retain_until): ``live = "1"`` while the record still
has objects, removed when the sweep deleted them, so the sweep reads only what it may still have to delete.

Every change after creation is a conditional update, so two sweeps (or a sweep and a hold) never both win.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.dynamo.items import from_item as _plain
from chalicelib.adapters.dynamo.items import to_item as _item
from chalicelib.domain.errors import DependencyUnavailable

LIVE = "1"


class DynamoRecordStore:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def put(self, record: Mapping[str, Any]) -> bool:
        """Register a new record (live); False if one with this id exists already."""
        return self._write(
            "put_item",
            Item=_item({**record, "live": LIVE}),
            ConditionExpression="attribute_not_exists(id)",
        )

    def replace(self, record: Mapping[str, Any], expected_manifest: str) -> bool:
        """Replace a live record whose manifest is still the one we read (a recording re-reported with a new one)."""
        return self._write(
            "put_item",
            Item=_item({**record, "live": LIVE}),
            ConditionExpression="attribute_exists(live) AND manifest_sha256 = :m",
            ExpressionAttributeValues={":m": {"S": expected_manifest}},
        )

    def get(self, record_id: str) -> dict[str, Any] | None:
        try:
            found = self._db.get_item(TableName=self._table, Key={"id": {"S": record_id}}, ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The record could not be read.") from exc
        item = found.get("Item")
        return _plain(item) if item else None

    def of_appointment(self, appointment_id: str) -> list[dict[str, Any]]:
        return self._query("by_appointment", "#k = :k", {"#k": "appointment_id"}, {":k": {"S": appointment_id}})

    def of_day(self, day: str) -> list[dict[str, Any]]:
        return self._query("by_day", "#k = :k", {"#k": "day"}, {":k": {"S": day}})

    def expired(self, now: str) -> list[str]:
        """Ids of live records whose retain-until is not after ``now`` (the index may lag: re-read before acting)."""
        found = self._query(
            "live",
            "#k = :k AND retain_until <= :now",
            {"#k": "live"},
            {":k": {"S": LIVE}, ":now": {"S": now}},
        )
        return [str(r["id"]) for r in found]

    def extend(self, record_id: str, retain_until: str, procedure_types: list[str]) -> bool:
        """Move retain-until later (never earlier) on a live record; False if it is not live or already later."""
        return self._write(
            "update_item",
            Key={"id": {"S": record_id}},
            UpdateExpression="SET retain_until = :u, procedure_types = :t",
            ConditionExpression="attribute_exists(live) AND retain_until < :u",
            ExpressionAttributeValues=_item({":u": retain_until, ":t": procedure_types}),
        )

    def place_hold(self, record_id: str, at: str) -> bool:
        """Put a live record on legal hold, withdrawing any release waiting for approval (someone has just said it
        must stay); False if it is gone (deleted or never registered)."""
        return self._write(
            "update_item",
            Key={"id": {"S": record_id}},
            UpdateExpression="SET legal_hold = :h, legal_hold_changed_at = :at "
            "REMOVE release_requested_by, release_requested_at",
            ConditionExpression="attribute_exists(live)",
            ExpressionAttributeValues=_item({":h": True, ":at": at}),
        )

    def request_release(self, record_id: str, by: str, at: str) -> bool:
        """Ask for a held record's release; False unless it is live, held and has no request waiting already."""
        return self._write(
            "update_item",
            Key={"id": {"S": record_id}},
            UpdateExpression="SET release_requested_by = :by, release_requested_at = :at",
            ConditionExpression="attribute_exists(live) AND legal_hold = :h "
            "AND attribute_not_exists(release_requested_at)",
            ExpressionAttributeValues=_item({":by": by, ":at": at, ":h": True}),
        )

    def approve_release(self, record_id: str, requested_at: str, approver: str, at: str) -> bool:
        """Lift the hold: only for the request that was read (``requested_at``), never by the one who made it, and
        only once (the request goes with the hold, so a second approval finds nothing to approve)."""
        return self._write(
            "update_item",
            Key={"id": {"S": record_id}},
            UpdateExpression="SET legal_hold = :f, legal_hold_changed_at = :at "
            "REMOVE release_requested_by, release_requested_at",
            ConditionExpression="attribute_exists(live) AND legal_hold = :t AND release_requested_at = :req "
            "AND release_requested_by <> :me",
            ExpressionAttributeValues=_item(
                {":f": False, ":t": True, ":at": at, ":req": requested_at, ":me": approver}
            ),
        )

    def mark_deleted(self, record_id: str, now: str) -> bool:
        """Mark a record's objects deleted and take it off the ``live`` index; only the first sweep to get here wins,
        and never while it is held or before its retain-until."""
        return self._write(
            "update_item",
            Key={"id": {"S": record_id}},
            UpdateExpression="SET deleted = :t, deleted_at = :now REMOVE live",
            ConditionExpression="attribute_exists(live) AND legal_hold = :f AND retain_until <= :now",
            ExpressionAttributeValues=_item({":t": True, ":f": False, ":now": now}),
        )

    def _write(self, operation: str, **request: Any) -> bool:
        try:
            getattr(self._db, operation)(TableName=self._table, **request)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise DependencyUnavailable("The record could not be saved.") from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable("The record could not be saved.") from exc
        return True

    def _query(self, index: str, condition: str, names: dict[str, str], values: dict[str, Any]) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        items: list[dict[str, Any]] = []
        try:
            while True:
                answer = self._db.query(**request)
                items.extend(_plain(raw) for raw in answer.get("Items", []))
                if "LastEvaluatedKey" not in answer:
                    return items
                request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The records could not be read.") from exc
