"""Contract of the retention register (RecordStore): the in-memory fake and DynamoRecordStore on moto alike."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.services.ports import RecordStore
from tests.api.tables import both
from tests.fakes import InMemoryRecordStore


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[RecordStore]:
    yield from both(request, InMemoryRecordStore, lambda c: c.record_store)


def _recording(record_id: str = "rec-room-1", **changes: Any) -> dict[str, Any]:
    return {
        "id": record_id,
        "kind": "recording",
        "appointment_id": "appt-1",
        "created_at": "2026-03-02T09:00:00Z",
        "day": "2026-03-02",
        "start": "2026-03-02T09:00:00Z",
        "bucket": "recordings",
        "objects": ["rooms/room-1/a.webm", "rooms/room-1/manifest.json"],
        "manifest_sha256": "m1",
        "procedure_types": ["payment_letter"],
        "retained_from": "2026-03-02T09:30:00Z",
        "retain_until": "2029-03-02T09:30:00Z",
        "legal_hold": False,
        "deleted": False,
        "segments": 2,
        "duration_seconds": 61.5,
        "office": None,  # DynamoDB keeps no None: it reads back without the attribute
        **changes,
    }


def test_a_registered_record_reads_back_live_with_its_values(store: RecordStore) -> None:
    assert store.put(_recording())

    stored = store.get("rec-room-1")
    assert stored == {**{k: v for k, v in _recording().items() if v is not None}, "live": "1"}
    assert store.get("rec-nothing") is None


def test_a_record_is_registered_once(store: RecordStore) -> None:
    assert store.put(_recording())

    assert not store.put(_recording(objects=["other"]))
    assert store.get("rec-room-1")["objects"] == ["rooms/room-1/a.webm", "rooms/room-1/manifest.json"]  # type: ignore[index]


def test_a_record_is_replaced_only_while_its_manifest_is_the_one_read(store: RecordStore) -> None:
    store.put(_recording())

    assert not store.replace(_recording(manifest_sha256="m3"), expected_manifest="m2")
    assert store.replace(_recording(manifest_sha256="m2", segments=3), expected_manifest="m1")
    assert store.get("rec-room-1")["segments"] == 3  # type: ignore[index]
    assert not store.replace(_recording("rec-unknown"), expected_manifest="m1")


def test_records_are_found_by_appointment_and_by_day_in_time_order(store: RecordStore) -> None:
    store.put(_recording("rec-b", created_at="2026-03-02T10:00:00Z", start="2026-03-02T10:00:00Z"))
    store.put(_recording("rec-a"))
    store.put(_recording("rec-other", appointment_id="appt-2", day="2026-03-03"))
    store.put(_recording("doc-x", kind="document", created_at="2026-03-02T09:30:00Z", day=None, start=None))

    assert [r["id"] for r in store.of_appointment("appt-1")] == ["rec-a", "doc-x", "rec-b"]
    assert [r["id"] for r in store.of_day("2026-03-02")] == ["rec-a", "rec-b"]
    assert store.of_day("2026-03-04") == []


def test_expired_lists_live_records_due_by_now(store: RecordStore) -> None:
    store.put(_recording("rec-due", retain_until="2026-01-01T00:00:00Z"))
    store.put(_recording("rec-now", retain_until="2026-02-01T00:00:00Z"))
    store.put(_recording("rec-later", retain_until="2026-03-01T00:00:00Z"))
    store.put(_recording("rec-gone", retain_until="2025-01-01T00:00:00Z"))
    assert store.mark_deleted("rec-gone", "2026-02-01T00:00:00Z")

    assert store.expired("2026-02-01T00:00:00Z") == ["rec-due", "rec-now"]


def test_retention_is_only_ever_extended(store: RecordStore) -> None:
    store.put(_recording())

    assert not store.extend("rec-room-1", "2028-01-01T00:00:00Z", ["x"])
    assert store.extend("rec-room-1", "2031-01-01T00:00:00Z", ["payment_letter", "instalment_plan"])
    stored = store.get("rec-room-1") or {}
    assert (stored["retain_until"], stored["procedure_types"]) == (
        "2031-01-01T00:00:00Z",
        ["payment_letter", "instalment_plan"],
    )
    assert not store.extend("rec-unknown", "2031-01-01T00:00:00Z", [])


def test_a_hold_is_released_by_someone_else_once(store: RecordStore) -> None:
    store.put(_recording())
    assert not store.request_release("rec-room-1", "auditor.a", "t0")  # not held

    assert store.place_hold("rec-room-1", "t1")
    assert store.request_release("rec-room-1", "auditor.a", "t2")
    assert not store.request_release("rec-room-1", "auditor.b", "t3")  # one request at a time
    assert not store.approve_release("rec-room-1", "t2", "auditor.a", "t4")  # never by who asked
    assert not store.approve_release("rec-room-1", "t9", "auditor.b", "t4")  # only the request that was read
    assert store.approve_release("rec-room-1", "t2", "auditor.b", "t4")
    assert not store.approve_release("rec-room-1", "t2", "auditor.b", "t5")  # once

    stored = store.get("rec-room-1") or {}
    assert (stored["legal_hold"], stored["legal_hold_changed_at"]) == (False, "t4")
    assert "release_requested_by" not in stored
    assert "release_requested_at" not in stored


def test_a_new_hold_withdraws_a_waiting_release(store: RecordStore) -> None:
    store.put(_recording())
    store.place_hold("rec-room-1", "t1")
    store.request_release("rec-room-1", "auditor.a", "t2")

    assert store.place_hold("rec-room-1", "t3")

    assert not store.approve_release("rec-room-1", "t2", "auditor.b", "t4")
    assert (store.get("rec-room-1") or {})["legal_hold"] is True


def test_deletion_waits_for_the_date_and_the_hold_and_happens_once(store: RecordStore) -> None:
    store.put(_recording(retain_until="2026-01-01T00:00:00Z"))
    assert not store.mark_deleted("rec-room-1", "2025-12-31T23:59:59Z")  # too early
    store.place_hold("rec-room-1", "t1")
    assert not store.mark_deleted("rec-room-1", "2026-02-01T00:00:00Z")  # held

    store.request_release("rec-room-1", "auditor.a", "t2")
    store.approve_release("rec-room-1", "t2", "auditor.b", "t3")
    assert store.mark_deleted("rec-room-1", "2026-02-01T00:00:00Z")
    assert not store.mark_deleted("rec-room-1", "2026-02-02T00:00:00Z")

    stored = store.get("rec-room-1") or {}
    assert (stored["deleted"], stored["deleted_at"], "live" in stored) == (True, "2026-02-01T00:00:00Z", False)
    assert not store.place_hold("rec-room-1", "t4")  # gone: nothing left to hold
