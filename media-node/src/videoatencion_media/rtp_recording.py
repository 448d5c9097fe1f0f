"""Room recording on the RTP path (``MEDIA_FORWARDING=rtp``): each admitted participant's decrypted RTP packets into a
binary media journal as they come, remuxed into the packets path's WebM segments by the process's remux worker.

:class:`RtpRoomRecorder` is a drop-in for :class:`~videoatencion_media.recording.RoomRecorder` (same constructor,
folder, lock, ``add_participant``/``note``/``chat``/``new_segment``/``finish``, ``on_keyframe_needed``,
``on_segment_closed``) with :meth:`RtpRoomRecorder.write_rtp` instead of ``write``. The folder holds what a
``RoomRecorder``'s does (segments, ``journal.jsonl``, ``manifest.json``, ``.lock``) plus, while the call goes on,
``media.rtpj`` (``media_journal.py``) and ``.remux.lock``.

- The event loop (``write_rtp`` and the others) only appends a 14-byte record header and the packet's bytes to a
  ``bytearray``: no file IO, no thread wake-up. ``note``, ``chat``, ``add_participant``, ``new_segment`` are records of
  the same buffer, so their order with the media is exact.
- The writer thread swaps the buffer out every ``WRITE_SECONDS`` and writes it as one checksummed chunk (one
  ``writev``), fsync'ing at most every ``FSYNC_SECONDS``: a crashed process loses what was not yet written (at most
  ``WRITE_SECONDS``), a crashed machine at most the last second or so.
- The remux (``remux.py``) runs in one worker process shared by every recording of this process
  (``remux_worker.py``: started by the first recording, started again if it dies, stopped when no recording needs it
  for a while): the writer thread has it follow the folder when it starts. It follows ``media.rtpj``, depacketizes,
  and writes the segments and their journal records with the packets path's
  :class:`~videoatencion_media.segments.SegmentWriter`, so segments close and upload while the call goes on. Each
  closed segment is one JSON line on its stdout naming the folder, which the worker's reader thread here turns into
  this recorder's ``on_segment_closed`` on the event loop. While it follows the folder it is the only writer of
  ``journal.jsonl``; this process writes the ``room`` record before and ``closing``/``finished`` after. A worker that
  dies is started again and follows every folder again (each resumes, see ``remux.py``).
- :meth:`RtpRoomRecorder.finish` (blocking; the engine calls it in a thread): stop taking packets, write and fsync
  what is buffered, tell the worker to finish the folder (it remuxes the rest and closes every segment) and wait for
  its answer; if it died or failed, remux the folder once more in a one-shot process (``python -m
  videoatencion_media.remux <folder>``). Then the manifest from the journal ("complete", or "partial" when the remux
  could not finish), the ``finished`` record, and ``media.rtpj`` is deleted.
- Keyframes: the remux cannot reach the event loop, so ``write_rtp`` asks itself, from the keyframe bit of its
  records, as the segment writer would: until a participant's first keyframe (segment start, after a ``new_segment``,
  and briefly on its first audio) and once ``segment_seconds`` have passed since the keyframe that began its segment,
  every ``KEYFRAME_RETRY_SECONDS`` until one comes.
- A crash (no ``finished`` record, the lock free): the uploader's recovery runs the remux on the folder first
  (everything up to the last whole chunk), then writes the partial manifest as for the packets path (``uploads.py``).
  The remux worker of a crashed node sees its stdin close and remuxes what is there too; the two take turns on
  ``.remux.lock`` and the second only replays.

Cost: per recorded room, one writer thread and what the remux keeps of it (its open segments); per node worker
process, one remux process (PyAV loaded, no aiortc: some 40 MB whatever the number of rooms) and its reader thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from videoatencion_media.journal import (
    JOURNAL,
    MANIFEST,
    MEDIA_JOURNAL,
    Journal,
    iso,
    manifest_from_journal,
    read_journal,
    safe_name,
    write_manifest,
)
from videoatencion_media.media_journal import (
    FLAG_KEYFRAME,
    KIND_AUDIO,
    KIND_CONTROL,
    KIND_VIDEO,
    MAGIC,
    MAX_RECORD_BYTES,
    RECORD,
    chunk_header,
)
from videoatencion_media.recording import claim_directory
from videoatencion_media.remux_worker import RemuxWorker, shared_worker
from videoatencion_media.rtp_packets import vp8_keyframe_start
from videoatencion_media.segments import KEYFRAME_RETRY_SECONDS, VIDEO_WAIT_SECONDS

logger = logging.getLogger(__name__)

# The writer thread writes the buffered records this often ...
WRITE_SECONDS: Final = 0.2
# ... and fsyncs the media journal at most this often.
FSYNC_SECONDS: Final = 1.0
# How long finish waits for the remux (it has the whole call behind it when the worker could not follow).
REMUX_TIMEOUT_SECONDS: Final = 1800.0


def remux_command(directory: Path) -> list[str]:
    """The one-shot remux of a folder, when the shared worker could not remux it."""
    return [sys.executable, "-m", "videoatencion_media.remux", str(directory)]


@dataclass
class _Sender:
    """A participant as ``write_rtp`` sees it: its record index and what its keyframe requests depend on."""

    index: int
    keyframe_seen: bool = False
    segment_start: float = 0.0
    asked_at: float = float("-inf")
    first_audio: float | None = None


class RtpRoomRecorder:
    """Records a room's admitted participants' RTP packets, remuxed into WebM segments (see the module docstring)."""

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
        self.media_path = self.directory / MEDIA_JOURNAL
        self._media_fd = os.open(self.media_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.write(self._media_fd, MAGIC)
        journal = Journal(self.directory / JOURNAL)
        journal.append(
            {
                "type": "room",
                "room_id": room_id,
                "appointment_id": appointment_id,
                "session": self.session,
                "created_at": iso(time.time()),
                "segment_seconds": segment_seconds,
                "media": MEDIA_JOURNAL,
            },
            sync=True,
        )
        journal.close()
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._senders: dict[str, _Sender] = {}
        self._buffer = bytearray()
        self._buffer_lock = threading.Lock()
        self._stop = threading.Event()
        self._closed = False
        self._finished: Path | None = None
        self._finish_lock = threading.Lock()
        # The worker following this folder, once the writer thread has asked it to.
        self._remux_worker: RemuxWorker | None = None
        self.packets_written = 0
        self.packets_dropped = 0
        self.bytes_written = 0
        self.segments_closed = 0
        self.keyframe_requests = 0
        self.remux_stats: dict[str, int] = {}
        self._thread = threading.Thread(target=self._run, name=f"rtp-recorder-{room_id}", daemon=True)
        self._thread.start()

    # ---- called on the event loop: cheap, no IO ----

    def write_rtp(self, participant_id: str, kind: str, packet: bytes, arrival: float) -> None:
        """Record one decrypted RTP packet of a participant ("audio": Opus, "video": VP8), ``arrival`` its time.time().

        Appends a record to the in-memory buffer; the writer thread writes it out.
        """
        if self._closed or len(packet) > MAX_RECORD_BYTES:
            self.packets_dropped += 1
            return
        sender = self._senders.get(participant_id)
        if sender is None:
            sender = self._declare(participant_id, None, None)
        if kind == "video":
            code = KIND_VIDEO
            if vp8_keyframe_start(packet):
                flags = FLAG_KEYFRAME
                if not sender.keyframe_seen or arrival - sender.segment_start >= self.segment_seconds:
                    sender.keyframe_seen = True
                    sender.segment_start = arrival
            else:
                flags = 0
                if (
                    not sender.keyframe_seen or arrival - sender.segment_start >= self.segment_seconds
                ) and arrival - sender.asked_at >= KEYFRAME_RETRY_SECONDS:
                    self._ask_keyframe(participant_id, sender, arrival)
        else:
            code = KIND_AUDIO
            flags = 0
            if not sender.keyframe_seen:
                if sender.first_audio is None:
                    sender.first_audio = arrival
                if (
                    arrival - sender.first_audio < VIDEO_WAIT_SECONDS
                    and arrival - sender.asked_at >= KEYFRAME_RETRY_SECONDS
                ):
                    self._ask_keyframe(participant_id, sender, arrival)
        header = RECORD.pack(arrival, sender.index, code, flags, len(packet))
        with self._buffer_lock:
            self._buffer += header
            self._buffer += packet
        self.packets_written += 1

    def add_participant(self, participant_id: str, role: str | None, name: str | None) -> None:
        self._declare(participant_id, role, name)

    def new_segment(self, participant_id: str) -> None:
        """Close the participant's open segment; its next packets start a new one on a new timeline (reconnection)."""
        sender = self._senders.get(participant_id)
        if sender is None:
            return
        sender.keyframe_seen = False
        sender.first_audio = None
        self._control(sender.index, {"op": "new_segment"})

    def note(self, event: dict[str, Any]) -> None:
        """A room event for the manifest (audio_only on/off, admitted, reconnecting, left…); timestamped here."""
        now = time.time()
        self._control(0, {"op": "event", "event": {"at": iso(now), **event}, "t": now})

    def chat(self, participant_id: str, name: str | None, text: str, at: str) -> None:
        self._control(0, {"op": "chat", "participant_id": participant_id, "name": name, "text": text, "at": at})

    def _declare(self, participant_id: str, role: str | None, name: str | None) -> _Sender:
        sender = self._senders.get(participant_id)
        if sender is None:
            sender = self._senders[participant_id] = _Sender(len(self._senders))
        message = {"op": "participant", "participant_id": participant_id, "role": role, "name": name}
        self._control(sender.index, message)
        return sender

    def _control(self, index: int, message: dict[str, Any]) -> None:
        if self._closed:
            return
        data = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
        if len(data) > MAX_RECORD_BYTES:
            logger.warning("recording record too long, dropped: %s", message.get("op"), extra={"room_id": self.room_id})
            return
        header = RECORD.pack(time.time(), index, KIND_CONTROL, 0, len(data))
        with self._buffer_lock:
            self._buffer += header
            self._buffer += data

    def _ask_keyframe(self, participant_id: str, sender: _Sender, now: float) -> None:
        sender.asked_at = now
        callback = self.on_keyframe_needed
        if callback is None:
            return
        self.keyframe_requests += 1
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon(callback, participant_id)
        else:
            callback(participant_id)

    # ---- finish (blocking) ----

    def finish(self) -> Path:
        """Write out the media, let the remux finish, write the manifest. Blocks: call it off the event loop."""
        with self._finish_lock:
            if self._finished is not None:
                return self._finished
            self._closed = True
            self._stop.set()
            self._thread.join()
            status = "complete" if self._finish_remux() else "partial"
            path = self.directory / MANIFEST
            try:
                journal = Journal(self.directory / JOURNAL)
                try:
                    journal.append({"type": "closing"}, sync=True)
                    manifest = manifest_from_journal(read_journal(journal.path), status)
                    path, sha256 = write_manifest(self.directory, manifest)
                    if status == "complete":
                        self.media_path.unlink(missing_ok=True)
                    journal.append({"type": "finished", "status": status, "manifest_sha256": sha256}, sync=True)
                finally:
                    journal.close()
            finally:
                with contextlib.suppress(OSError):
                    fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
                    self._lock_file.close()
                self._finished = path
                self._call_soon(self.on_segment_closed, {"type": "finished", "room_id": self.room_id})
            return path

    def _finish_remux(self) -> bool:
        """Let the worker finish the folder and wait; remux it once more if it could not. True if either did."""
        worker = self._remux_worker
        if worker is not None:
            answer = worker.finish(self.directory, REMUX_TIMEOUT_SECONDS)
            if answer is not None and answer.get("ok") is True:
                self._remux_stats(answer)
                return True
            error = "no answer" if answer is None else answer.get("error")
            logger.error("the remux worker did not remux (%s); once more", error, extra={"room_id": self.room_id})
        return self._remux_once()

    def _remux_once(self) -> bool:
        """The one-shot remux of the folder, in a process of its own; True if it remuxed everything."""
        try:
            process = subprocess.Popen(  # noqa: S603 (this interpreter, our own module)
                remux_command(self.directory), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, start_new_session=True
            )
        except OSError:
            logger.exception("could not start the remux", extra={"room_id": self.room_id})
            return False
        reader = threading.Thread(target=self._read_remux, args=(process,), name=f"remux-{self.room_id}", daemon=True)
        reader.start()
        try:
            code = process.wait(timeout=REMUX_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        reader.join(timeout=10)
        if code != 0:
            logger.error("the remux failed (status %s)", code, extra={"room_id": self.room_id})
        return code == 0

    # ---- writer thread ----

    def _run(self) -> None:
        self._follow_remux()
        last_sync = time.monotonic()
        unsynced = False
        try:
            while True:
                stopping = self._stop.wait(WRITE_SECONDS)
                with self._buffer_lock:
                    data = self._buffer
                    self._buffer = bytearray()
                if data:
                    try:
                        os.writev(self._media_fd, [chunk_header(data), data])
                        self.bytes_written += len(data)
                        unsynced = True
                    except OSError:
                        logger.exception("writing the media journal failed", extra={"room_id": self.room_id})
                now = time.monotonic()
                if unsynced and (stopping or now - last_sync >= FSYNC_SECONDS):
                    with contextlib.suppress(OSError):
                        os.fsync(self._media_fd)
                    last_sync = now
                    unsynced = False
                if stopping:
                    return
        finally:
            with contextlib.suppress(OSError):
                os.close(self._media_fd)

    def _follow_remux(self) -> None:
        """Have the process's remux worker follow this folder (the writer thread, as it starts)."""
        worker = shared_worker()
        worker.follow(self.directory, self._remux_line)
        self._remux_worker = worker

    def _remux_line(self, message: dict[str, Any]) -> None:
        """A line of the remux about this folder (the worker's reader thread, or the one-shot remux's)."""
        if message.get("type") == "segment":
            self.segments_closed += 1
            segment = {k: v for k, v in message.items() if k != "folder"}
            path = str(self.directory / str(message.get("file")))
            self._call_soon(self.on_segment_closed, {**segment, "room_id": self.room_id, "path": path})
        elif message.get("type") == "stats":
            self._remux_stats(message)

    def _remux_stats(self, message: dict[str, Any]) -> None:
        self.remux_stats = {k: v for k, v in message.items() if isinstance(v, int) and not isinstance(v, bool)}

    def _read_remux(self, process: subprocess.Popen[bytes]) -> None:
        """The one-shot remux's stdout: its closed segments and its stats."""
        stdout = process.stdout
        if stdout is None:
            return
        with stdout:
            for line in stdout:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    self._remux_line(message)

    def _call_soon(self, callback: Callable[[Any], None] | None, argument: Any) -> None:
        """Call back on the event loop (from a thread), or here when there is none."""
        if callback is None:
            return
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # loop closed
                self._loop.call_soon_threadsafe(callback, argument)
        else:
            callback(argument)
