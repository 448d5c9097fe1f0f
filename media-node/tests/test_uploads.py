"""Uploads to an Object Lock bucket (moto): SSE-KMS, SHA-256, idempotent, retried, manifest last, crash recovery."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from media import packets
from moto import mock_aws

from videoatencion_media.journal import JOURNAL, MANIFEST, read_journal
from videoatencion_media.recording import RoomRecorder
from videoatencion_media.uploads import UPLOADS, Uploader

BUCKET = "recordings-test"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(
            Bucket=BUCKET,
            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
            ObjectLockEnabledForBucket=True,
        )
        s3.put_object_lock_configuration(
            Bucket=BUCKET,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}},
            },
        )
        key_id = boto3.client("kms", region_name="eu-west-1").create_key()["KeyMetadata"]["KeyId"]
        yield {"s3": s3, "kms_key_id": key_id}


class CountingClient:
    """Wraps a boto3 S3 client: records calls, fails the first `fail_puts` put_object calls."""

    def __init__(self, client: Any, fail_puts: int = 0) -> None:
        self.client = client
        self.fail_puts = fail_puts
        self.calls: list[tuple[str, str]] = []

    def put_object(self, **kwargs: Any) -> Any:
        self.calls.append(("put_object", kwargs["Key"]))
        if self.fail_puts > 0:
            self.fail_puts -= 1
            raise ConnectionError("simulated network failure")
        return self.client.put_object(**kwargs)

    def head_object(self, **kwargs: Any) -> Any:
        self.calls.append(("head_object", kwargs["Key"]))
        return self.client.head_object(**kwargs)


async def record_room(root: Path, room: str = "room-1", seconds: float = 2.0) -> Path:
    recorder = RoomRecorder(root, room, "apt-1", segment_seconds=0.9)
    recorder.add_participant("a", "agent", "Ana")
    for kind, packet in packets(seconds):
        recorder.write("a", kind, packet)
    recorder.chat("a", "Ana", "bon dia", "2026-01-01T10:00:00Z")
    manifest = await asyncio.to_thread(recorder.finish)
    return manifest.parent


def make_uploader(
    root: Path, aws: dict[str, Any], client: Any, completed: list[dict[str, Any]], bucket: str | None = BUCKET
) -> Uploader:
    async def on_complete(info: dict[str, Any]) -> None:
        completed.append(info)

    return Uploader(root, bucket, aws["kms_key_id"], lambda: client, on_complete, poll_seconds=0.05, backoff_base=0.05)


async def test_uploads_segments_then_manifest_and_reports(tmp_path: Path, aws: dict[str, Any]) -> None:
    directory = await record_room(tmp_path)
    manifest = json.loads((directory / MANIFEST).read_text())
    assert len(manifest["segments"]) >= 2
    client = CountingClient(aws["s3"])
    completed: list[dict[str, Any]] = []
    uploader = make_uploader(tmp_path, aws, client, completed)
    assert await uploader.drain(10)

    puts = [key for call, key in client.calls if call == "put_object"]
    prefix = "recordings/apt-1/room-1/"
    assert puts[-1] == prefix + "manifest.json"  # the manifest last
    assert sorted(puts[:-1]) == sorted(prefix + s["file"] for s in manifest["segments"])
    for segment in manifest["segments"]:
        head = aws["s3"].head_object(Bucket=BUCKET, Key=prefix + segment["file"])
        assert head["Metadata"]["sha256"] == segment["sha256"]
        assert head["ContentLength"] == segment["bytes"]
        assert head["ServerSideEncryption"] == "aws:kms"
        assert aws["kms_key_id"] in head["SSEKMSKeyId"]
    (info,) = completed
    assert info["bucket"] == BUCKET
    assert info["manifest_key"] == prefix + "manifest.json"
    body = aws["s3"].get_object(Bucket=BUCKET, Key=prefix + "manifest.json")["Body"].read()
    assert json.loads(body)["segments"] == manifest["segments"]
    import hashlib

    assert info["manifest_sha256"] == hashlib.sha256(body).hexdigest()
    assert info["segments"] == len(manifest["segments"])
    assert info["status"] == "complete"
    assert (info["room_id"], info["appointment_id"]) == ("room-1", "apt-1")
    assert 1.5 <= info["duration_seconds"] <= 2.5
    assert not directory.exists()  # local copies deleted after verified upload and report


async def test_idempotent_when_objects_already_there(tmp_path: Path, aws: dict[str, Any]) -> None:
    directory = await record_room(tmp_path)
    backup = tmp_path.parent / (tmp_path.name + "-copy")
    shutil.copytree(directory, backup / directory.name)
    first: list[dict[str, Any]] = []
    assert await make_uploader(tmp_path, aws, CountingClient(aws["s3"]), first).drain(10)
    # The same room again (e.g. a node died after uploading but before noting it): nothing is put twice.
    client = CountingClient(aws["s3"])
    again: list[dict[str, Any]] = []
    assert await make_uploader(backup, aws, client, again).drain(10)
    assert [c for c in client.calls if c[0] == "put_object"] == []
    assert len(again) == 1
    assert again[0]["manifest_sha256"] == first[0]["manifest_sha256"]


async def test_retries_after_failure_and_keeps_files_until_verified(tmp_path: Path, aws: dict[str, Any]) -> None:
    directory = await record_room(tmp_path)
    files = {s["file"] for s in json.loads((directory / MANIFEST).read_text())["segments"]}
    client = CountingClient(aws["s3"], fail_puts=2)
    completed: list[dict[str, Any]] = []
    uploader = make_uploader(tmp_path, aws, client, completed)
    assert await uploader.run_once() is True  # failed: work remains
    assert uploader.failures == 1
    assert completed == []
    assert files <= {p.name for p in directory.iterdir()}  # nothing deleted before a verified upload
    task = asyncio.create_task(uploader.run())
    try:
        # Reported first, then the local copies go: wait for both.
        for _ in range(200):
            if completed and not directory.exists():
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
    assert len(completed) == 1
    assert uploader.failures == 2
    assert not directory.exists()


async def test_a_failing_upload_is_reported_then_completed(tmp_path: Path, aws: dict[str, Any]) -> None:
    """Recordings never fail silently: after a few failed attempts the API hears "failed", retries go on, and the
    success that follows is reported as complete."""
    await record_room(tmp_path)
    client = CountingClient(aws["s3"], fail_puts=4)
    completed: list[dict[str, Any]] = []
    uploader = make_uploader(tmp_path, aws, client, completed)
    uploader.report_failure_after = 3
    task = asyncio.create_task(uploader.run())
    try:
        for _ in range(400):
            if any(c.get("status") != "failed" for c in completed):
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
    statuses = [c["status"] for c in completed]
    assert statuses == ["failed", "complete"]
    failed = completed[0]
    assert (failed["room_id"], failed["appointment_id"]) == ("room-1", "apt-1")
    assert "still retrying" in failed["detail"]


async def test_no_bucket_keeps_files_and_reports(tmp_path: Path, aws: dict[str, Any]) -> None:
    directory = await record_room(tmp_path)
    client = CountingClient(aws["s3"])
    completed: list[dict[str, Any]] = []
    uploader = make_uploader(tmp_path, aws, client, completed, bucket=None)
    assert await uploader.drain(5)
    assert client.calls == []
    (info,) = completed
    assert info["bucket"] is None
    assert info["manifest_key"] == str(directory / MANIFEST)
    assert (directory / MANIFEST).exists()
    assert await uploader.drain(5)  # reported once only
    assert len(completed) == 1


async def test_live_room_segments_upload_but_manifest_waits(tmp_path: Path, aws: dict[str, Any]) -> None:
    recorder = RoomRecorder(tmp_path, "room-live", "apt-1", segment_seconds=0.9)
    closed: list[dict[str, Any]] = []
    recorder.on_segment_closed = closed.append
    for kind, packet in packets(2.0):
        recorder.write("a", kind, packet)
    for _ in range(100):
        if closed:
            break
        await asyncio.sleep(0.02)
    completed: list[dict[str, Any]] = []
    uploader = make_uploader(tmp_path, aws, CountingClient(aws["s3"]), completed)
    assert await uploader.run_once() is True  # live: not done
    assert completed == []
    uploaded = read_journal(recorder.directory / UPLOADS)
    assert {r["file"] for r in uploaded} == {c["file"] for c in closed}
    await asyncio.to_thread(recorder.finish)
    assert await uploader.drain(10)
    assert len(completed) == 1


async def test_recover_crashed_room(tmp_path: Path, aws: dict[str, Any]) -> None:
    live = tmp_path / "live"
    recorder = RoomRecorder(live, "room-crash", "apt-1", segment_seconds=1.0)
    closed: list[dict[str, Any]] = []
    recorder.on_segment_closed = closed.append
    recorder.add_participant("c", "citizen", "Pere")
    for kind, packet in packets(4.0, gop=60):
        recorder.write("c", kind, packet)
    recorder.chat("c", "Pere", "hi", "2026-01-01T10:00:00Z")
    for _ in range(100):
        if closed:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)
    # A crash: the folder as it is now, without the recorder (its lock free), no finished record.
    root = tmp_path / "node"
    shutil.copytree(recorder.directory, root / "room-crash")
    await asyncio.to_thread(recorder.finish)
    assert not any(r["type"] == "finished" for r in read_journal(root / "room-crash" / JOURNAL))

    completed: list[dict[str, Any]] = []
    client = CountingClient(aws["s3"])
    uploader = make_uploader(root, aws, client, completed)
    recovered = await uploader.recover()
    assert recovered == [root / "room-crash"]
    (info,) = completed
    assert info["status"] == "partial"
    body = aws["s3"].get_object(Bucket=BUCKET, Key=info["manifest_key"])["Body"].read()
    manifest = json.loads(body)
    assert manifest["status"] == "partial"
    assert manifest["chat"][0]["text"] == "hi"
    assert manifest["participants"] == [{"id": "c", "role": "citizen", "name": "Pere"}]
    assert len(manifest["segments"]) == 2  # the closed one and the salvaged open one
    assert sum(1 for s in manifest["segments"] if s.get("salvaged")) == 1
    for segment in manifest["segments"]:
        head = aws["s3"].head_object(Bucket=BUCKET, Key=f"recordings/apt-1/room-crash/{segment['file']}")
        assert head["Metadata"]["sha256"] == segment["sha256"]
    assert not (root / "room-crash").exists()


async def test_live_room_of_another_process_is_not_recovered(tmp_path: Path, aws: dict[str, Any]) -> None:
    recorder = RoomRecorder(tmp_path, "room-busy", "apt-1")
    completed: list[dict[str, Any]] = []
    uploader = make_uploader(tmp_path, aws, CountingClient(aws["s3"]), completed)
    assert await uploader.recover() == []
    assert not any(r["type"] == "finished" for r in read_journal(recorder.directory / JOURNAL))
    await asyncio.to_thread(recorder.finish)
