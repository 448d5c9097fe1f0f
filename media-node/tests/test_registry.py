"""The node's entry in the DynamoDB node registry (moto): written with its load on every heartbeat, marked draining,
removed on stop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from videoatencion_media.registry import Load, NodeRegistration

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

TABLE = "videoatencion-test-media-nodes"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoDBClient]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-south-2",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "node_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "node_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def _item(client: DynamoDBClient) -> dict[str, Any] | None:
    found = client.get_item(TableName=TABLE, Key={"node_id": {"S": "node-a"}}).get("Item")
    return dict(found) if found is not None else None


async def test_heartbeat_writes_the_contract_fields_and_stop_removes_them(dynamodb: DynamoDBClient) -> None:
    load = Load(rooms=3, participants=7)
    registration = NodeRegistration(
        dynamodb,
        TABLE,
        node_id="node-a",
        url="https://media-1.example.org:8443",
        max_rooms=20,
        load=lambda: load,
        interval=0.05,
        clock=lambda: 1_700_000_000.4,
    )

    task = asyncio.create_task(registration.run())
    async with asyncio.timeout(10):
        while registration.heartbeats < 2:  # noqa: ASYNC110 - counts puts, which have no event
            await asyncio.sleep(0.01)
    item = _item(dynamodb)
    assert item is not None
    assert {key: value for key, value in item.items() if key != "cpu"} == {
        "node_id": {"S": "node-a"},
        "url": {"S": "https://media-1.example.org:8443"},
        "rooms": {"N": "3"},
        "participants": {"N": "7"},
        "max_rooms": {"N": "20"},
        "draining": {"BOOL": False},
        "heartbeat_at": {"N": "1700000000"},
        "expires_at": {"N": "1700000060"},
    }
    assert 0.0 <= float(item["cpu"]["N"]) <= 4.0

    await registration.set_draining()
    item = _item(dynamodb)
    assert item is not None
    assert item["draining"] == {"BOOL": True}

    task.cancel()
    await registration.deregister()
    assert _item(dynamodb) is None


async def test_a_failing_registry_does_not_stop_the_heartbeat() -> None:
    class Broken:
        calls = 0

        def put_item(self, **_: Any) -> None:
            Broken.calls += 1
            raise RuntimeError("DynamoDB is down")

        def delete_item(self, **_: Any) -> None:
            raise RuntimeError("DynamoDB is down")

    registration = NodeRegistration(
        Broken(),  # type: ignore[arg-type]
        TABLE,
        node_id="node-a",
        url="http://x",
        max_rooms=1,
        load=lambda: Load(0, 0),
        interval=0.01,
    )
    task = asyncio.create_task(registration.run())
    async with asyncio.timeout(10):  # generous: a loaded CI machine may schedule the loop late
        while Broken.calls < 3:  # noqa: ASYNC110 - counts failed puts, which have no event
            await asyncio.sleep(0.01)
    task.cancel()
    await registration.set_draining()
    await registration.deregister()
    assert Broken.calls >= 3
