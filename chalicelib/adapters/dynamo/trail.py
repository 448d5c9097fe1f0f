"""Delivery state of the audit trail on DynamoDB (table ``trail``, pk/sk).

Items:
- ``STATE``/``CURSOR``: the last delivered event (council day + sort key), how many log files were delivered
  (``seq``), when the trail started, and a ``version`` every advance is conditional on;
- ``LOG``/``<seq, 12 digits>``: one delivered log file: S3 key, SHA-256 of its content, event count and span;
- ``STATE``/``HEAD``: the newest digest of the chain (key, hash, signature, end time) and the last log file it covers.

Advancing the cursor and recording the log file is one transaction; moving the head is a conditional write. Two
deliveries or two digest runs racing therefore never both advance: the loser's object stays in S3 unreferenced, and
nothing is lost or listed twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.dynamo.items import from_item as _plain
from chalicelib.adapters.dynamo.items import serialise as _serialise
from chalicelib.adapters.dynamo.items import to_item as _item
from chalicelib.domain.errors import DependencyUnavailable
from chalicelib.domain.trail import DigestRef, LogFileRef


@dataclass(frozen=True)
class Cursor:
    day: str
    sk: str  # the last delivered event's sort key ("" = none yet that day)
    seq: int
    started_at: str
    version: int


@dataclass(frozen=True)
class Head:
    digest: DigestRef
    end: str  # digestEndTime
    files_through: int
    version: int


class DynamoTrailState:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def _get(self, sk: str) -> dict[str, Any] | None:
        try:
            raw = self._client.get_item(
                TableName=self._table, Key=_item({"pk": "STATE", "sk": sk}), ConsistentRead=True
            ).get("Item")
        except (BotoCoreError, ClientError) as exc:
            raise DependencyUnavailable("The audit trail's state could not be read.") from exc
        return _plain(raw) if raw else None

    # --- cursor ----------------------------------------------------------------------------------------------------
    def cursor(self) -> Cursor | None:
        item = self._get("CURSOR")
        if item is None:
            return None
        return Cursor(
            str(item["day"]), str(item["after"]), int(item["seq"]), str(item["started_at"]), int(item["version"])
        )

    def start(self, cursor: Cursor) -> bool:
        """The trail's first cursor; False when another run created it first."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=_item({"pk": "STATE", "sk": "CURSOR", **_cursor_values(cursor)}),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise DependencyUnavailable("The audit trail's state could not be written.") from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable("The audit trail's state could not be written.") from exc
        return True

    def advance(self, previous: Cursor, cursor: Cursor, log: LogFileRef | None, events: int) -> bool:
        """Move the cursor and (when a file was written) record the log file, atomically; False if another run moved
        the cursor first."""
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _item({"pk": "STATE", "sk": "CURSOR", **_cursor_values(cursor)}),
                    "ConditionExpression": "#v = :v",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": {":v": _serialise(previous.version)},
                }
            }
        ]
        if log is not None:
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _item(
                            {
                                "pk": "LOG",
                                "sk": f"{cursor.seq:012d}",
                                "bucket": log.bucket,
                                "key": log.key,
                                "hash": log.hash_value,
                                "oldest": log.oldest_event_time,
                                "newest": log.newest_event_time,
                                "events": events,
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise DependencyUnavailable("The audit trail's state could not be written.") from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable("The audit trail's state could not be written.") from exc
        return True

    def log_files(self, after_seq: int, limit: int) -> list[tuple[int, LogFileRef]]:
        """Delivered log files after ``after_seq``, oldest first."""
        try:
            raw = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND sk > :after",
                ExpressionAttributeValues={":pk": _serialise("LOG"), ":after": _serialise(f"{after_seq:012d}")},
                Limit=limit,
                ConsistentRead=True,
            )["Items"]
        except (BotoCoreError, ClientError) as exc:
            raise DependencyUnavailable("The audit trail's state could not be read.") from exc
        files = []
        for entry in map(_plain, raw):
            ref = LogFileRef(
                str(entry["bucket"]),
                str(entry["key"]),
                str(entry["hash"]),
                entry.get("oldest"),
                entry.get("newest"),
                event_count=int(entry["events"]),
            )
            files.append((int(entry["sk"]), ref))
        return files

    # --- head of the digest chain ----------------------------------------------------------------------------------
    def head(self) -> Head | None:
        item = self._get("HEAD")
        if item is None:
            return None
        ref = DigestRef(str(item["bucket"]), str(item["key"]), str(item["hash"]), str(item["signature"]))
        return Head(ref, str(item["end"]), int(item["files_through"]), int(item["version"]))

    def move_head(self, previous: Head | None, head: Head) -> bool:
        values = {
            "pk": "STATE",
            "sk": "HEAD",
            "bucket": head.digest.bucket,
            "key": head.digest.key,
            "hash": head.digest.hash_value,
            "signature": head.digest.signature,
            "end": head.end,
            "files_through": head.files_through,
            "version": head.version,
        }
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if previous is None
            else {
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":v": _serialise(previous.version)},
            }
        )
        try:
            self._client.put_item(TableName=self._table, Item=_item(values), **condition)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise DependencyUnavailable("The audit trail's state could not be written.") from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable("The audit trail's state could not be written.") from exc
        return True


def _cursor_values(cursor: Cursor) -> dict[str, Any]:
    return {
        "day": cursor.day,
        "after": cursor.sk,
        "seq": cursor.seq,
        "started_at": cursor.started_at,
        "version": cursor.version,
    }
