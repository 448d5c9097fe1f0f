"""Uploads of recordings to the recordings bucket: idempotent, retried, never losing a file.

The state lives on disk, next to the recording (``journal.py``): the recorder's ``journal.jsonl`` says which segments
are closed and whether the room finished; ``uploads.jsonl`` (ours) says which files were uploaded and verified, and
whether the API was told. So a restarted node picks up where a crashed one stopped, and a room folder whose recorder
lock is free but whose journal never finished (a crash) gets a "partial" manifest written from the journal.

Keys: ``recordings/{appointment_id}/{room_id}/{file}``, the manifest last as ``.../manifest.json``. Every object is
SSE-KMS, carries its SHA-256 in metadata (and as the S3 checksum, which an Object Lock bucket needs), and is checked
with ``head_object`` first (same SHA-256 there = already uploaded) and after (size and SHA-256) before the local copy
is deleted. boto3 runs in worker threads, never on the event loop.

A crashed room of the RTP path (``rtp_recording.py``) still has its binary media journal (``media.rtpj``): recovery
first runs the remux on it in a worker process (``python -m videoatencion_media.remux <folder>``: everything up to the
last whole chunk, resuming after the segments that had closed), then salvages and writes the partial manifest as
above.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from videoatencion_media.journal import (
    JOURNAL,
    LOCK,
    MANIFEST,
    MEDIA_JOURNAL,
    Journal,
    iso,
    manifest_from_journal,
    read_journal,
    salvage_segment,
    write_manifest,
)

logger = logging.getLogger(__name__)

UPLOADS: Final = "uploads.jsonl"
UPLOAD_LOCK: Final = ".upload.lock"
# Marker of a room reported to the API and kept on disk (no bucket).
REPORTED: Final = ".reported"
# How long the recovery's remux of a crashed RTP-path room may take (it may have a whole call to remux).
RECOVERY_REMUX_TIMEOUT_SECONDS: Final = 1800.0


class UploadError(Exception):
    """An upload did not verify (size or SHA-256 differ after put)."""


@dataclass
class _Backoff:
    attempts: int = 0
    next_at: float = 0.0
    reported: bool = False


@dataclass
class _RoomPlan:
    directory: Path
    live: bool
    finished: bool
    room_id: str
    appointment_id: str
    pending: list[dict[str, Any]]


def object_key(appointment_id: str, room_id: str, file: str) -> str:
    return f"recordings/{appointment_id}/{room_id}/{file}"


def _try_lock(path: Path) -> IO[bytes] | None:
    """An exclusive flock on path, or None if someone else holds it. Closing the file releases it."""
    f = path.open("ab")
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return None
    return f


def _is_crashed(directory: Path) -> bool:
    if _is_locked(directory / LOCK):
        return False
    return not any(r.get("type") == "finished" for r in read_journal(directory / JOURNAL))


def _remux(directory: Path) -> bool:
    """Remux a crashed RTP-path room's media journal in a worker process (this is a worker thread). True if it did."""
    command = [sys.executable, "-m", "videoatencion_media.remux", str(directory)]
    try:
        result = subprocess.run(  # noqa: S603 (this interpreter, our own module)
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            timeout=RECOVERY_REMUX_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        logger.exception("remuxing the media journal in %s failed", directory.name)
        return False
    if result.returncode != 0:
        logger.error("remuxing the media journal in %s failed (status %d)", directory.name, result.returncode)
        return False
    return True


def _is_locked(path: Path) -> bool:
    """True if another open file description holds an flock on path (a live recorder)."""
    try:
        f = path.open("ab")
    except OSError:
        return False
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        f.close()  # closing releases our lock, if we got it
    return False


class Uploader:
    """Background uploader of closed segments and finished manifests (see the module docstring)."""

    def __init__(
        self,
        root: Path,
        bucket: str | None,
        kms_key_id: str | None,
        s3_client_factory: Callable[[], Any],
        on_complete: Callable[[dict[str, Any]], Awaitable[None]],
        *,
        poll_seconds: float = 5.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        report_failure_after: int = 5,
    ) -> None:
        self.root = root
        self.bucket = bucket
        self.kms_key_id = kms_key_id
        self.s3_client_factory = s3_client_factory
        self.on_complete = on_complete
        self.poll_seconds = poll_seconds
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        # A recording must never fail silently: after this many failed attempts on a finished room the API hears of
        # it (status "failed", shown to staff) while the uploads go on; a later success reports it complete.
        self.report_failure_after = report_failure_after
        self._client: Any = None
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._backoff: dict[Path, _Backoff] = {}
        self._pass_lock = asyncio.Lock()
        self.uploaded = 0
        self.skipped = 0
        self.failures = 0
        self.completed = 0

    def notify(self, _info: object = None) -> None:
        """Something was closed or finished: look now (use as the recorder's on_segment_closed)."""
        self._wake.set()

    async def recover(self) -> list[Path]:
        """On start: finish what a crashed predecessor left (partial manifests) and upload everything pending."""
        before = await asyncio.to_thread(self._room_directories)
        crashed = await asyncio.to_thread(lambda: [d for d in before if _is_crashed(d)])
        await self.run_once()
        return crashed

    async def run(self) -> None:
        """Upload as things appear, until cancelled."""
        while True:
            try:
                pending = await self.run_once()
            except Exception:
                logger.exception("upload pass failed")
                pending = True
            if not pending:
                self._idle.set()
            self._wake.clear()
            delay = self.poll_seconds
            waits = [b.next_at - time.monotonic() for b in self._backoff.values()]
            if waits:
                delay = max(0.01, min(delay, *waits))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def drain(self, timeout: float) -> bool:  # noqa: ASYNC109 (the interface: SIGTERM gives a budget)
        """Work until nothing is pending (finished rooms uploaded and reported), at most timeout s. True if done."""
        deadline = time.monotonic() + timeout
        while True:
            for backoff in self._backoff.values():
                backoff.next_at = min(backoff.next_at, time.monotonic())
            pending = await self.run_once()
            if not pending:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await asyncio.sleep(min(remaining, 0.2))

    async def run_once(self) -> bool:
        """One pass over every room folder. True if work remains (failures waiting to be retried, or live rooms)."""
        async with self._pass_lock:
            directories = await asyncio.to_thread(self._room_directories)
            pending = False
            for directory in directories:
                backoff = self._backoff.get(directory)
                if backoff is not None and time.monotonic() < backoff.next_at:
                    pending = True
                    continue
                lock = await asyncio.to_thread(_try_lock, directory / UPLOAD_LOCK)
                if lock is None:
                    pending = True  # another worker process is on it
                    continue
                plan: _RoomPlan | None = None
                try:
                    plan = await asyncio.to_thread(self._plan, directory)
                    done = plan is None or await self._process(plan)
                except Exception as exc:
                    self.failures += 1
                    backoff = self._backoff.setdefault(directory, _Backoff())
                    backoff.attempts += 1
                    delay = min(self.backoff_cap, self.backoff_base * 2 ** (backoff.attempts - 1))
                    backoff.next_at = time.monotonic() + delay * random.uniform(0.5, 1.5)  # noqa: S311 (jitter)
                    logger.warning(
                        "recording upload failed (attempt %d, retry in ~%.1f s): %s",
                        backoff.attempts,
                        delay,
                        exc,
                        extra={"room": directory.name},
                    )
                    pending = True
                    if self._should_report(plan, backoff) and plan is not None:
                        backoff.reported = True
                        await self._report_failure(plan, exc, backoff.attempts)
                    continue
                finally:
                    lock.close()
                self._backoff.pop(directory, None)
                if not done:
                    pending = True
            return pending

    # ---- planning (worker thread: file IO) ----

    def _room_directories(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return [d for d in sorted(self.root.iterdir()) if (d / JOURNAL).is_file() and not (d / REPORTED).exists()]

    def _plan(self, directory: Path) -> _RoomPlan | None:
        live = _is_locked(directory / LOCK)
        records = read_journal(directory / JOURNAL)
        finished = any(r.get("type") == "finished" for r in records)
        if not live and not finished:
            records = self._recover_room(directory, records)
            finished = True
        room = next((r for r in records if r.get("type") == "room"), None)
        if room is None:
            return None
        done = read_journal(directory / UPLOADS)
        if any(r.get("reported") for r in done):
            return None
        uploaded = {r.get("file") for r in done}
        pending = [r for r in records if r.get("type") == "segment" and r["file"] not in uploaded]
        return _RoomPlan(
            directory=directory,
            live=live,
            finished=finished,
            room_id=str(room["room_id"]),
            appointment_id=str(room["appointment_id"]),
            pending=pending,
        )

    def _recover_room(self, directory: Path, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A crashed predecessor's room: salvage its open segments if they read, write a partial manifest."""
        logger.warning("recovering the recording a crashed node left in %s", directory.name)
        remuxed = (directory / MEDIA_JOURNAL).is_file() and _remux(directory)
        if remuxed:
            records = read_journal(directory / JOURNAL)
        closed = {r["file"] for r in records if r.get("type") in ("segment", "segment_discarded")}
        journal = Journal(directory / JOURNAL)
        try:
            for r in records:
                if r.get("type") != "segment_open" or r["file"] in closed:
                    continue
                path = directory / r["file"]
                record = salvage_segment(path, str(r["participant"]), float(r["start"]))
                if record is None:
                    path.unlink(missing_ok=True)
                    journal.append({"type": "segment_lost", "file": r["file"]}, sync=True)
                else:
                    journal.append(record, sync=True)
            manifest = manifest_from_journal(read_journal(directory / JOURNAL), "partial")
            _, sha256 = write_manifest(directory, manifest)
            if remuxed:
                (directory / MEDIA_JOURNAL).unlink(missing_ok=True)  # all it held is in the segments now
            journal.append({"type": "finished", "status": "partial", "manifest_sha256": sha256}, sync=True)
        finally:
            journal.close()
        return read_journal(directory / JOURNAL)

    # ---- uploading ----

    async def _process(self, plan: _RoomPlan) -> bool:
        """Upload what is pending in one room; True when the room is completely done."""
        if self.bucket is not None:
            for segment in plan.pending:
                await asyncio.to_thread(self._upload_segment, plan, segment)
        if not plan.finished or plan.live:
            return not plan.pending and not plan.live
        manifest_path = plan.directory / MANIFEST
        manifest_bytes = await asyncio.to_thread(manifest_path.read_bytes)
        manifest = json.loads(manifest_bytes)
        manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
        if self.bucket is not None:
            key = object_key(plan.appointment_id, plan.room_id, MANIFEST)
            await asyncio.to_thread(self._put_verified, key, manifest_bytes, manifest_sha256, "application/json")
            manifest_key = key
        else:
            manifest_key = str(manifest_path)
        await self.on_complete(
            {
                "bucket": self.bucket,
                "manifest_key": manifest_key,
                "manifest_sha256": manifest_sha256,
                "segments": len(manifest.get("segments", [])),
                "duration_seconds": manifest.get("duration_seconds", 0.0),
                "status": manifest.get("status", "partial"),
                "room_id": plan.room_id,
                "appointment_id": plan.appointment_id,
            }
        )
        await asyncio.to_thread(self._mark_reported, plan)
        self.completed += 1
        return True

    def _should_report(self, plan: _RoomPlan | None, backoff: _Backoff) -> bool:
        finished = plan is not None and plan.finished and not plan.live
        return finished and not backoff.reported and backoff.attempts >= self.report_failure_after

    async def _report_failure(self, plan: _RoomPlan, exc: Exception, attempts: int) -> None:
        try:
            await self.on_complete(
                {
                    "status": "failed",
                    "detail": f"upload failing after {attempts} attempts ({exc.__class__.__name__}); still retrying",
                    "room_id": plan.room_id,
                    "appointment_id": plan.appointment_id,
                }
            )
        except Exception:
            logger.exception("could not report a failing recording upload", extra={"room": plan.room_id})

    def _client_or_new(self) -> Any:
        if self._client is None:
            self._client = self.s3_client_factory()
        return self._client

    def _upload_segment(self, plan: _RoomPlan, segment: dict[str, Any]) -> None:
        path = plan.directory / segment["file"]
        key = object_key(plan.appointment_id, plan.room_id, segment["file"])
        if not path.exists():
            # Uploaded and deleted, but the node died before noting it: the object must be there with this hash.
            if self._remote_sha256(key) != segment["sha256"]:
                raise UploadError(f"{segment['file']} is neither on disk nor in the bucket")
        else:
            data = path.read_bytes()
            sha256 = hashlib.sha256(data).hexdigest()
            if sha256 != segment["sha256"]:
                logger.error("segment %s changed on disk after it was closed; uploading it as it is", path.name)
            self._put_verified(key, data, sha256, "video/webm")
        with (plan.directory / UPLOADS).open("a", encoding="utf-8") as f:
            f.write(json.dumps({"file": segment["file"], "key": key, "at": iso(time.time())}) + "\n")
            f.flush()
        path.unlink(missing_ok=True)

    def _remote_sha256(self, key: str) -> str | None:
        client = self._client_or_new()
        try:
            head = client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _is_not_found(exc):
                return None
            raise
        metadata: dict[str, str] = head.get("Metadata") or {}
        return metadata.get("sha256")

    def _put_verified(self, key: str, data: bytes, sha256: str, content_type: str) -> None:
        if self._remote_sha256(key) == sha256:
            self.skipped += 1
            return
        client = self._client_or_new()
        arguments: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "Body": data,
            "ContentType": content_type,
            "Metadata": {"sha256": sha256},
            "ContentMD5": base64.b64encode(hashlib.md5(data).digest()).decode(),  # noqa: S324 (S3 integrity header)
            "ChecksumAlgorithm": "SHA256",
            "ChecksumSHA256": base64.b64encode(bytes.fromhex(sha256)).decode(),
            "ServerSideEncryption": "aws:kms",
        }
        if self.kms_key_id:
            arguments["SSEKMSKeyId"] = self.kms_key_id
        client.put_object(**arguments)
        head = client.head_object(Bucket=self.bucket, Key=key)
        if head.get("ContentLength") != len(data) or (head.get("Metadata") or {}).get("sha256") != sha256:
            raise UploadError(f"{key} did not verify after upload")
        self.uploaded += 1

    def _mark_reported(self, plan: _RoomPlan) -> None:
        with (plan.directory / UPLOADS).open("a", encoding="utf-8") as f:
            f.write(json.dumps({"reported": True, "at": iso(time.time())}) + "\n")
            f.flush()
        if self.bucket is not None:
            shutil.rmtree(plan.directory, ignore_errors=True)
        else:
            (plan.directory / REPORTED).touch()


def _is_not_found(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")
