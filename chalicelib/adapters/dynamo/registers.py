"""The council's registers on DynamoDB: the padrón (people, households) and the tax ledger.

In production these would be other adapters of the same ports (e.g. the padrón service of Catalonia's consortium);
locally and in tests they are tables holding the fictional seed data. Reads only: who read what, and why, is the
use case's audit event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import DependencyUnavailable

_serialise = TypeSerializer().serialize
_deserialise = TypeDeserializer().deserialize


def _plain(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deserialise(v) for k, v in raw.items()}


class DynamoRegisters:
    def __init__(self, client: Any, padron_table: str, ledger_table: str) -> None:
        self._client = client
        self._padron = padron_table
        self._ledger = ledger_table

    def person(self, id_number: str) -> dict[str, Any] | None:
        found = self._query(self._padron, "id_number", id_number, index="by_id_number")
        return found[0] if found else None

    def household(self, household_id: str) -> list[dict[str, Any]]:
        return self._query(self._padron, "household_id", household_id, index="by_household")

    def ledger(self, taxpayer_id: str) -> list[dict[str, Any]]:
        return self._query(self._ledger, "taxpayer_id", taxpayer_id)

    def _query(self, table: str, key: str, value: str, index: str | None = None) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": key},
            "ExpressionAttributeValues": {":v": _serialise(value)},
        }
        if index:
            request["IndexName"] = index
        items: list[dict[str, Any]] = []
        try:
            while True:
                answer = self._client.query(**request)
                items.extend(_plain(raw) for raw in answer.get("Items", []))
                if "LastEvaluatedKey" not in answer:
                    return items
                request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The council's register could not be read.") from exc
