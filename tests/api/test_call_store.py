"""Contract of the call store, run on the DynamoDB adapter (moto) and on the in-memory fake alike: calls change only
from the version read (two writers never overwrite each other), node reports are claimed once, recordings are kept
per room, and the node registry lists what the nodes registered."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import boto3
import pytest

from chalicelib.adapters.dynamo.calls import DynamoCallStore, call_store
from chalicelib.domain.calls import Call, CallState, MediaNode, Participant, RecordingState
from infra.resources import physical_name
from tests.fakes import InMemoryCallStore

Store = DynamoCallStore | InMemoryCallStore
NODE = MediaNode("node-a", "http://127.0.0.1:9001/node-a", 2, 4, 20, 0.25, False, 1_800_000_000)


@pytest.fixture(params=["dynamodb", "in-memory"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "in-memory":
        return InMemoryCallStore()
    request.getfixturevalue("aws")
    region = os.environ["AWS_REGION"]
    return call_store(physical_name("dev", "calls"), physical_name("dev", "media-nodes"), region=region, host=None)


def register(store: Store, node: MediaNode | None, node_id: str = "node-a") -> None:
    """What a node's heartbeat writes (``None``: a registration without its URL)."""
    if isinstance(store, InMemoryCallStore):
        store.registry[node_id] = node
        return
    item: dict[str, dict[str, Any]] = {"node_id": {"S": node_id}, "heartbeat_at": {"N": "1800000000"}}
    if node is not None:
        item.update(
            {
                "url": {"S": node.url},
                "rooms": {"N": str(node.rooms)},
                "participants": {"N": str(node.participants)},
                "max_rooms": {"N": str(node.max_rooms)},
                "cpu": {"N": str(node.cpu)},
                "draining": {"BOOL": node.draining},
                "heartbeat_at": {"N": str(node.heartbeat_at)},
            }
        )
    boto3.client("dynamodb").put_item(TableName=physical_name("dev", "media-nodes"), Item=item)


def call(appointment_id: str = "appointment-1", version: int = 1) -> Call:
    return Call(
        appointment_id=appointment_id,
        room_id="room-1",
        node_id="node-a",
        media_url="http://127.0.0.1:9001/node-a",
        state=CallState.WAITING,
        created_at="2026-12-02T09:00:00+00:00",
        waiting_since="2026-12-02T09:01:00+00:00",
        participants={"p1": Participant("citizen", "waiting", "2026-12-02T09:01:00+00:00")},
        recording=RecordingState.RECORDING,
        version=version,
    )


def test_a_new_call_is_stored_once_and_read_back_whole(store: Store) -> None:
    assert store.get("appointment-1") is None

    assert store.put(call(), replacing=None) is True
    assert store.put(replace(call(), room_id="room-2"), replacing=None) is False  # someone made one first

    assert store.get("appointment-1") == call()


def test_a_call_changes_only_from_the_version_read(store: Store) -> None:
    first = call()
    store.put(first, replacing=None)
    joined = replace(first, state=CallState.IN_CALL, version=2)

    assert store.save(joined, expected_version=1) is True
    assert store.save(replace(first, state=CallState.ENDED, version=2), expected_version=1) is False
    assert store.put(replace(first, room_id="room-2", version=2), replacing=first) is False  # a stale copy
    assert store.save(call("appointment-never-called"), expected_version=1) is False

    assert store.get("appointment-1") == joined
    assert store.get("appointment-never-called") is None
    fresh = replace(joined, room_id="room-2", ended_at=None, participants={}, version=3)
    assert store.put(fresh, replacing=joined) is True
    assert store.get("appointment-1") == fresh


def test_many_answers_the_calls_that_exist_in_any_number(store: Store) -> None:
    ids = [f"appointment-{n:03d}" for n in range(130)]  # more than one batch of DynamoDB's 100
    for appointment_id in ids[::2]:
        store.put(call(appointment_id), replacing=None)

    found = store.many([*ids, ids[0]])

    assert found == {i: call(i) for i in ids[::2]}
    assert store.many([]) == {}


def test_a_node_report_is_claimed_once_until_forgotten(store: Store) -> None:
    assert store.claim_event("appointment-1", "event-1") is True
    assert store.claim_event("appointment-1", "event-1") is False
    assert store.claim_event("appointment-2", "event-1") is True  # per appointment

    store.forget_event("appointment-1", "event-1")

    assert store.claim_event("appointment-1", "event-1") is True


def test_recordings_are_kept_per_room_with_what_the_node_reported(store: Store) -> None:
    store.put(call(), replacing=None)
    store.put_recording("appointment-1", "room-2", {"status": "failed", "detail": None, "reported_at": "t2"})
    report = {"status": "complete", "manifest_sha256": "ab" * 32, "segments": 3, "duration_seconds": 61.5}
    store.put_recording("appointment-1", "room-1", report)
    store.put_recording("appointment-9", "room-9", {"status": "complete"})

    found = store.recordings("appointment-1")

    assert found == [
        {**report, "appointment_id": "appointment-1", "sk": "REC#room-1", "room_id": "room-1"},
        {
            "status": "failed",
            "reported_at": "t2",
            "appointment_id": "appointment-1",
            "sk": "REC#room-2",
            "room_id": "room-2",
        },
    ]
    assert store.recordings("appointment-2") == []
    assert store.get("appointment-1") == call()  # the call itself is untouched


def test_the_registry_lists_the_nodes_and_skips_a_registration_without_an_address(store: Store) -> None:
    assert store.nodes() == []
    other = replace(NODE, node_id="node-b", url="http://127.0.0.1:9002/node-b", draining=True, cpu=0.0)
    register(store, NODE)
    register(store, other, "node-b")
    register(store, None, "node-c")

    assert sorted(store.nodes(), key=lambda n: n.node_id) == [NODE, other]
