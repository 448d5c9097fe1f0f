"""The PynamoDB models and infra/resources.py (the one description CDK and the local provisioner build) agree on
every table's keys, indexes and TTL attribute: a model can never query an index the tables do not have."""

from __future__ import annotations

from typing import Any

import pytest
from pynamodb.models import Model

from chalicelib.adapters.dynamo import models
from infra.resources import RESOURCES, Table

MODELS: dict[str, type[Model]] = {
    "catalogue": models.CatalogueItem,
    "audit": models.AuditItem,
    "auth": models.AuthItem,
    "staff": models.StaffItem,
    "notifications": models.NotificationItem,
    "procedures": models.ProcedureItem,
    "documents": models.DocumentItem,
    "records": models.RecordItem,
    "padron": models.PersonItem,
    "tax-ledger": models.LedgerItem,
    "trail": models.TrailItem,
    "appointments": models.AppointmentItem,
    "booking": models.BookingItem,
    "calls": models.CallItem,
    "media-nodes": models.MediaNodeItem,
}
NOT_MODELLED = {
    "idempotency": "written by Powertools' idempotency utility, not by our adapters",
}


def _keys(schema: Any, types: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    return tuple(sorted((k["KeyType"], k["AttributeName"], types[k["AttributeName"]]) for k in schema))


def _described(table: Table) -> dict[str, Any]:
    def keys(partition: Any, sort: Any) -> tuple[tuple[str, str, str], ...]:
        return (("HASH", partition.name, partition.type),) + ((("RANGE", sort.name, sort.type),) if sort else ())

    return {
        "keys": keys(table.partition, table.sort),
        "indexes": {index.name: keys(index.partition, index.sort) for index in table.indexes},
    }


def _modelled(model: type[Model]) -> dict[str, Any]:
    schema = model._get_schema()
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    return {
        "keys": _keys(schema["key_schema"], types),
        "indexes": {
            index["index_name"]: _keys(index["key_schema"], types)
            for index in schema.get("global_secondary_indexes", [])
        },
    }


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_models_keys_and_indexes_are_its_tables(name: str) -> None:
    table = RESOURCES.table(name)

    assert _modelled(MODELS[name]) == _described(table)
    if table.ttl_attribute:
        attributes = {a.attr_name for a in MODELS[name].get_attributes().values()}
        assert table.ttl_attribute in attributes


def test_every_table_has_a_model_or_a_reason() -> None:
    assert {t.name for t in RESOURCES.tables} == set(MODELS) | set(NOT_MODELLED)
