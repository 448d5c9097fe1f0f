"""Room recording by remuxing (the packets path): each admitted participant's encoded VP8/Opus packets into WebM
segments, never a decode. The segments themselves (when they open, rotate and close, what the journal says of them) are
``segments.py``'s :class:`~videoatencion_media.segments.SegmentWriter`, which the RTP path's remux shares.

Layout under ``root/<room_id>/`` (a fresh ``<room_id>~<session>`` folder if that one is taken):

- ``<participant>.<session>.<n>.webm`` segments: one participant's audio and video, rotated at a keyframe after
  ``segment_seconds`` (a keyframe is requested then);
- ``journal.jsonl``: append-only record of the room (participants, segment opened/closed with SHA-256, events, chat),
  fsync'd whenever a segment closes, so a crash loses at most the open segments;
- ``manifest.json``: written by :meth:`RoomRecorder.finish` from the journal (``journal.manifest_from_journal``,
  which the uploader's crash recovery also uses, with status "partial");
- ``.lock``: flock held while the recorder lives; a room folder whose lock is free and whose journal has no
  "finished" record was left by a crashed process.

All file IO happens in one writer thread per recorder: the event loop only copies the packet bytes into a list that
it hands to the writer thread every ``WRITE_BATCH_SECONDS`` (waking a thread per packet cost more CPU than the muxing).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

import av

from videoatencion_media.journal import (
    JOURNAL,
    LOCK,
    MANIFEST,
    Journal,
    iso,
    manifest_from_journal,
    read_journal,
    safe_name,
    write_manifest,
)
from videoatencion_media.segments import SegmentWriter

logger = logging.getLogger(__name__)

# Packets reach the writer thread in batches, at most this late: one thread wake-up per batch, not one per packet.
WRITE_BATCH_SECONDS: Final = 0.1


@dataclass
class _Item:
    kind: str
    data: bytes
    pts: int
    keyframe: bool
    arrival: float


class RoomRecorder:
    """Records a room's admitted participants into WebM segments by remuxing (see the module docstring)."""

    def __init__(
        self,
        root: Path,
        room_id: str,
        appointment_id: str,
        segment_seconds: float = 30.0,
        on_segment_closed: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.room_id = room_id
        self.appointment_id = appointment_id
        self.segment_seconds = segment_seconds
        self.on_segment_closed = on_segment_closed
        # Set by the engine: ask the participant's sender for a keyframe (segment start and rotation).
        self.on_keyframe_needed: Callable[[str], None] | None = None
        self.session = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        root.mkdir(parents=True, exist_ok=True)
        self.directory, self._lock_file = claim_directory(root, safe_name(room_id), self.session)
        self._journal = Journal(self.directory / JOURNAL)
        self._journal.append(
            {
                "type": "room",
                "room_id": room_id,
                "appointment_id": appointment_id,
                "session": self.session,
                "created_at": iso(time.time()),
            },
            sync=True,
        )
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._segments = SegmentWriter(
            self.directory,
            self.session,
            self._journal,
            segment_seconds,
            ask_keyframe=self._ask_keyframe,
            segment_closed=self._segment_closed,
        )
        self._queue: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        # Packets written since the last hand-off to the writer thread; the lock keeps their order with other messages.
        self._pending: list[tuple[str, _Item]] = []
        self._pending_lock = threading.Lock()
        self._finished: Path | None = None
        self._finish_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"recorder-{room_id}", daemon=True)
        self._thread.start()

    @property
    def packets_written(self) -> int:
        return self._segments.packets_written

    @property
    def packets_dropped(self) -> int:
        return self._segments.packets_dropped

    @property
    def segments_closed(self) -> int:
        return self._segments.segments_closed

    # ---- called on the event loop: cheap, no IO ----

    def add_participant(self, participant_id: str, role: str | None, name: str | None) -> None:
        self._put(("participant", participant_id, role, name))

    def write(self, participant_id: str, kind: str, packet: av.Packet[Any]) -> None:
        """Queue one encoded packet (copied: the caller's packet is shared with the senders).

        It reaches the writer thread with the others of its batch, at most ``WRITE_BATCH_SECONDS`` later (at once when
        no event loop runs here).
        """
        if self._finished is not None or packet.pts is None:
            return
        item = _Item(kind, bytes(packet), int(packet.pts), bool(packet.is_keyframe), time.time())
        with self._pending_lock:
            self._pending.append((participant_id, item))
            first = len(self._pending) == 1
        if first:
            try:
                asyncio.get_running_loop().call_later(WRITE_BATCH_SECONDS, self._flush)
            except RuntimeError:
                self._flush()

    def _flush(self) -> None:
        """Hand the packets written so far to the writer thread."""
        with self._pending_lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if self._pending:
            self._queue.put(("packets", self._pending))
            self._pending = []

    def _put(self, message: tuple[Any, ...]) -> None:
        """Queue a message for the writer thread after the packets written before it."""
        with self._pending_lock:
            self._flush_locked()
            self._queue.put(message)

    def new_segment(self, participant_id: str) -> None:
        """Close the participant's open segment; its next packets start a new one on a new timeline (reconnection)."""
        self._put(("new_segment", participant_id))

    def note(self, event: dict[str, Any]) -> None:
        """A room event for the manifest (audio_only on/off, admitted, reconnecting, left…); timestamped here."""
        now = time.time()
        self._put(("event", {"at": iso(now), **event}, now))

    def chat(self, participant_id: str, name: str | None, text: str, at: str) -> None:
        self._put(("chat", {"participant_id": participant_id, "name": name, "text": text, "at": at}))

    def finish(self) -> Path:
        """Close every segment and write the manifest (status "complete"). Blocks: call it off the event loop."""
        with self._finish_lock:
            if self._finished is not None:
                return self._finished
            done = threading.Event()
            result: list[Path] = []
            self._put(("finish", done, result))
            done.wait()
            self._thread.join(timeout=10)
            self._finished = result[0] if result else self.directory / MANIFEST
            return self._finished

    # ---- writer thread ----

    def _run(self) -> None:
        while True:
            message = self._queue.get()
            try:
                if message[0] == "finish":
                    self._finish(message[1], message[2])
                    return
                self._handle(message)
            except Exception:
                logger.exception("recorder failed handling %s", message[0], extra={"room_id": self.room_id})

    def _handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "packets":
            for pid, item in message[1]:
                try:
                    self._segments.frame(pid, item.kind, item.data, item.pts, item.keyframe, item.arrival)
                except Exception:
                    logger.exception("recorder failed handling a packet", extra={"room_id": self.room_id})
        elif kind == "participant":
            _, pid, role, name = message
            self._segments.participant(pid)
            self._journal.append({"type": "participant", "participant_id": pid, "role": role, "name": name})
        elif kind == "new_segment":
            self._segments.new_segment(message[1])
        elif kind == "event":
            self._journal.append({"type": "event", "event": message[1], "t": message[2]})
        elif kind == "chat":
            self._journal.append({"type": "chat", **message[1]})

    def _ask_keyframe(self, pid: str) -> None:
        callback = self.on_keyframe_needed
        if callback is None:
            return
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # loop closed
                self._loop.call_soon_threadsafe(callback, pid)
        else:
            callback(pid)

    def _segment_closed(self, record: dict[str, Any]) -> None:
        callback = self.on_segment_closed
        if callback is not None:
            info = {**record, "room_id": self.room_id, "path": str(self.directory / record["file"])}
            if self._loop is not None:
                with contextlib.suppress(RuntimeError):
                    self._loop.call_soon_threadsafe(callback, info)
            else:
                callback(info)

    def _finish(self, done: threading.Event, result: list[Path]) -> None:
        try:
            self._segments.close_all()
            self._journal.append({"type": "closing"}, sync=True)
            manifest = manifest_from_journal(read_journal(self._journal.path), "complete")
            path, sha256 = write_manifest(self.directory, manifest)
            self._journal.append({"type": "finished", "status": "complete", "manifest_sha256": sha256}, sync=True)
            self._journal.close()
            result.append(path)
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
                self._lock_file.close()
            done.set()
            callback = self.on_segment_closed
            if callback is not None and self._loop is not None:
                with contextlib.suppress(RuntimeError):
                    self._loop.call_soon_threadsafe(callback, {"type": "finished", "room_id": self.room_id})


def claim_directory(root: Path, name: str, session: str) -> tuple[Path, IO[bytes]]:
    """A recording folder for a new recording, ``root/name`` or else ``root/name~session``, and its flock'd lock file.

    A folder whose lock is held (a live recorder) or that has a journal (a previous recording of the room, finished
    or crashed and awaiting recovery) is not taken.
    """
    for candidate in (name, f"{name}~{session}"):
        directory = root / candidate
        directory.mkdir(exist_ok=True)
        lock = (directory / LOCK).open("ab")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        if (directory / JOURNAL).exists():
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
            lock.close()
            continue
        return directory, lock
    raise RuntimeError(f"no free recording folder for room {name}")
