"""Webhooks to the API: signed as the contract says, retried, kept on disk until delivered, re-sent after a restart."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from pathlib import Path

from node_fakes import FakeApi

from videoatencion_media.app import report_recording
from videoatencion_media.webhooks import WebhookSender, sign

SECRET = "dev-webhook-secret"  # noqa: S105 - a test secret


def _sender(api: FakeApi, spool: Path) -> WebhookSender:
    return WebhookSender(f"{api.url}/media/events", SECRET, "node-a", spool, first_delay=0.01, max_delay=0.05)


async def _delivered(api: FakeApi, count: int) -> None:
    async with asyncio.timeout(3):
        while len(api.webhooks) < count:  # noqa: ASYNC110 - the fake API has no event to wait on
            await asyncio.sleep(0.01)


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"s3cret", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("s3cret", "1700000000", b"{}") == f"v1={expected}"


async def test_event_is_posted_signed_with_the_contract_headers(api: FakeApi, tmp_path: Path) -> None:
    sender = _sender(api, tmp_path / "spool")
    task = asyncio.create_task(sender.run())
    try:
        sender.emit("joined", "room-1", "apt-1", {"participant_id": "c-ana", "role": "citizen"})
        await _delivered(api, 1)
    finally:
        task.cancel()

    headers, body = api.webhooks[0]
    event = json.loads(body)
    assert {key: event[key] for key in ("type", "room_id", "appointment_id", "participant_id", "role")} == {
        "type": "joined",
        "room_id": "room-1",
        "appointment_id": "apt-1",
        "participant_id": "c-ana",
        "role": "citizen",
    }
    assert len(event["event_id"]) == 32
    assert event["at"].endswith("+00:00")
    assert headers["X-Media-Node"] == "node-a"
    timestamp = headers["X-Media-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 5
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["X-Media-Signature"] == f"v1={expected}"
    assert list((tmp_path / "spool").glob("*.json")) == []


async def test_failures_are_retried_in_order(api: FakeApi, tmp_path: Path) -> None:
    api.webhook_failures = 3
    sender = _sender(api, tmp_path / "spool")
    task = asyncio.create_task(sender.run())
    try:
        for index in range(3):
            sender.emit("waiting", "room-1", "apt-1", {"participant_id": f"c-{index}", "role": "citizen"})
        await _delivered(api, 3)
        assert await sender.drain(1)
    finally:
        task.cancel()

    assert [json.loads(body)["participant_id"] for _, body in api.webhooks] == ["c-0", "c-1", "c-2"]
    assert api.webhook_failures == 0


async def test_undelivered_events_survive_a_restart(api: FakeApi, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    down = WebhookSender("http://127.0.0.1:9/media/events", SECRET, "node-a", spool, first_delay=0.01, max_delay=0.02)
    task = asyncio.create_task(down.run())
    down.emit("ended", "room-1", "apt-1", {"by": "a-joan", "reason": "ended_by_agent"})
    down.emit("recording_failed", "room-1", "apt-1", {"detail": "upload failed"})
    assert not await down.drain(0.1)
    task.cancel()
    assert len(list(spool.glob("*.json"))) == 2

    # The next run of the node finds them and sends them, oldest first.
    restarted = _sender(api, spool)
    assert restarted.recover() == 2
    task = asyncio.create_task(restarted.run())
    try:
        assert await restarted.drain(3)
    finally:
        task.cancel()
    assert [json.loads(body)["type"] for _, body in api.webhooks] == ["ended", "recording_failed"]
    assert list(spool.glob("*.json")) == []


async def test_an_event_the_api_rejects_is_set_aside_not_retried_forever(api: FakeApi, tmp_path: Path) -> None:
    api.webhook_status = 400
    sender = _sender(api, tmp_path / "spool")
    task = asyncio.create_task(sender.run())
    try:
        sender.emit("left", "room-1", "apt-1", {"participant_id": "c-ana", "role": "citizen"})
        assert await sender.drain(2)
    finally:
        task.cancel()
    assert len(api.webhooks) == 1
    assert len(list((tmp_path / "spool").glob("*.rejected"))) == 1


async def test_without_url_or_secret_nothing_is_sent_or_kept(tmp_path: Path) -> None:
    sender = WebhookSender(None, SECRET, "node-a", tmp_path / "spool")
    sender.emit("joined", "room-1", "apt-1", {})
    assert sender.pending == 0
    assert not (tmp_path / "spool").exists()


async def test_uploader_outcome_becomes_recording_complete_or_failed(api: FakeApi, tmp_path: Path) -> None:
    sender = _sender(api, tmp_path / "spool")
    recording = {
        "bucket": "recordings",
        "manifest_key": "recordings/apt-1/room-1/manifest.json",
        "manifest_sha256": "ab" * 32,
        "segments": 4,
        "duration_seconds": 61.5,
        "status": "complete",
    }
    task = asyncio.create_task(sender.run())
    try:
        report_recording(sender, {"room_id": "room-1", "appointment_id": "apt-1", **recording})
        report_recording(sender, {"room_id": "room-2", "appointment_id": "apt-2", "status": "failed", "detail": "S3"})
        assert await sender.drain(2)
    finally:
        task.cancel()
    complete, failed = (json.loads(body) for _, body in api.webhooks)
    assert (complete["type"], complete["recording"]) == ("recording_complete", recording)
    assert (failed["type"], failed["room_id"], failed["detail"]) == ("recording_failed", "room-2", "S3")
