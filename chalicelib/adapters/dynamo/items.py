"""Plain Python values ⇄ DynamoDB's typed attribute values, for the adapters that use the low-level client.

Writing: floats become Decimals (DynamoDB has no binary floats), None values are left out, nested maps and lists
too. Reading: whole-number Decimals come back as ints, others as floats.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

serialise = TypeSerializer().serialize
deserialise = TypeDeserializer().deserialize


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: serialise(_decimal(v)) for k, v in values.items() if v is not None}


def from_item(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _number(deserialise(v)) for k, v in raw.items()}


def _decimal(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _decimal(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_decimal(v) for v in value]
    return value


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_number(v) for v in value]
    return value
