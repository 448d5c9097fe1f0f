"""Room recording by remuxing: each admitted participant's encoded VP8/Opus packets into WebM segments, never a decode.

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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

import av
from av.container import OutputContainer
from av.stream import Stream

from videoatencion_media.journal import (
    JOURNAL,
    LOCK,
    MANIFEST,
    MS,
    Journal,
    file_sha256,
    fsync_path,
    iso,
    manifest_from_journal,
    read_journal,
    safe_name,
    write_manifest,
)
from videoatencion_media.passthrough import vp8_frame_size

logger = logging.getLogger(__name__)

CLOCK_RATES: Final = {"audio": 48000, "video": 90000}
# Audio waits this long for the participant's first video keyframe before a segment opens without video.
VIDEO_WAIT_SECONDS: Final = 2.0
# No video packet for this long: the participant stopped sending video (audio-only), rotate without a keyframe.
VIDEO_GONE_SECONDS: Final = 2.0
KEYFRAME_RETRY_SECONDS: Final = 2.0
# A source timestamp that jumps by more than this is a new timeline (the sender restarted).
MAX_TIMESTAMP_JUMP_SECONDS: Final = 10.0
# Packets reach the writer thread in batches, at most this late: one thread wake-up per batch, not one per packet.
WRITE_BATCH_SECONDS: Final = 0.1


@dataclass
class _Item:
    kind: str
    data: bytes
    pts: int
    keyframe: bool
    arrival: float


@dataclass
class _Segment:
    path: Path
    container: OutputContainer
    streams: dict[str, Stream]
    start: float
    end: float
    frame_size: tuple[int, int] | None
    last_ts: dict[str, int] = field(default_factory=dict)
    kinds: set[str] = field(default_factory=set)


@dataclass
class _Anchor:
    pts0: int
    wall0: float
    last_pts: int


class _ParticipantRecording:
    def __init__(self, pid: str) -> None:
        self.pid = pid
        self.segment: _Segment | None = None
        self.seq = 0
        self.anchors: dict[str, _Anchor] = {}
        self.pending_audio: list[tuple[float, bytes]] = []
        self.frame_size: tuple[int, int] | None = None
        self.last_video_at = 0.0
        self.keyframe_asked_at = 0.0


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
        self.directory, self._lock_file = self._claim_directory(root, safe_name(room_id))
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
        self._participants: dict[str, _ParticipantRecording] = {}
        self._queue: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        # Packets written since the last hand-off to the writer thread; the lock keeps their order with other messages.
        self._pending: list[tuple[str, _Item]] = []
        self._pending_lock = threading.Lock()
        self._finished: Path | None = None
        self._finish_lock = threading.Lock()
        self.packets_written = 0
        self.packets_dropped = 0
        self.segments_closed = 0
        self._thread = threading.Thread(target=self._run, name=f"recorder-{room_id}", daemon=True)
        self._thread.start()

    def _claim_directory(self, root: Path, name: str) -> tuple[Path, IO[bytes]]:
        for candidate in (name, f"{name}~{self.session}"):
            directory = root / candidate
            directory.mkdir(exist_ok=True)
            lock = (directory / LOCK).open("ab")
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.close()
                continue
            if (directory / JOURNAL).exists():
                # A previous recording of this room (finished, or crashed and awaiting recovery) lives here.
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
                lock.close()
                continue
            return directory, lock
        raise RuntimeError(f"no free recording folder for room {self.room_id}")

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
                    self._packet(self._participant(pid), item)
                except Exception:
                    logger.exception("recorder failed handling a packet", extra={"room_id": self.room_id})
        elif kind == "participant":
            _, pid, role, name = message
            self._participant(pid)
            self._journal.append({"type": "participant", "participant_id": pid, "role": role, "name": name})
        elif kind == "new_segment":
            rec = self._participants.get(message[1])
            if rec is not None:
                self._close_segment(rec)
                rec.anchors.clear()
                rec.pending_audio.clear()
        elif kind == "event":
            self._journal.append({"type": "event", "event": message[1], "t": message[2]})
        elif kind == "chat":
            self._journal.append({"type": "chat", **message[1]})

    def _participant(self, pid: str) -> _ParticipantRecording:
        rec = self._participants.get(pid)
        if rec is None:
            rec = self._participants[pid] = _ParticipantRecording(pid)
            self._journal.append({"type": "participant", "participant_id": pid, "role": None, "name": None})
        return rec

    def _ask_keyframe(self, rec: _ParticipantRecording, now: float) -> None:
        if now - rec.keyframe_asked_at < KEYFRAME_RETRY_SECONDS:
            return
        rec.keyframe_asked_at = now
        callback = self.on_keyframe_needed
        if callback is None:
            return
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # loop closed
                self._loop.call_soon_threadsafe(callback, rec.pid)
        else:
            callback(rec.pid)

    def _media_time(self, rec: _ParticipantRecording, item: _Item) -> float:
        """Wall-clock time of a packet: its stream's anchor (first arrival) plus the RTP clock since then."""
        clock = CLOCK_RATES[item.kind]
        anchor = rec.anchors.get(item.kind)
        if anchor is None or not 0 <= item.pts - anchor.last_pts <= MAX_TIMESTAMP_JUMP_SECONDS * clock:
            anchor = rec.anchors[item.kind] = _Anchor(item.pts, item.arrival, item.pts)
        anchor.last_pts = item.pts
        return anchor.wall0 + (item.pts - anchor.pts0) / clock

    def _packet(self, rec: _ParticipantRecording, item: _Item) -> None:
        t = self._media_time(rec, item)
        segment = rec.segment
        if item.kind == "video":
            rec.last_video_at = item.arrival
            size = vp8_frame_size(item.data) if item.keyframe else None
            if size is not None:
                rec.frame_size = size
            if segment is None:
                if size is None:
                    self._ask_keyframe(rec, item.arrival)
                    self.packets_dropped += 1
                    return
                segment = self._open_segment(rec, t, with_video=True)
            elif size is not None and (
                "video" not in segment.streams
                or size != segment.frame_size
                or t - segment.start >= self.segment_seconds
            ):
                self._close_segment(rec)
                segment = self._open_segment(rec, t, with_video=True)
            elif "video" not in segment.streams:
                self.packets_dropped += 1
                return
            elif t - segment.start >= self.segment_seconds:
                self._ask_keyframe(rec, item.arrival)
        else:
            if segment is None:
                rec.pending_audio.append((t, item.data))
                if t - rec.pending_audio[0][0] < VIDEO_WAIT_SECONDS:
                    self._ask_keyframe(rec, item.arrival)
                    return
                segment = self._open_segment(rec, rec.pending_audio[0][0], with_video=False)
                return
            if t - segment.start >= self.segment_seconds and (
                "video" not in segment.streams or item.arrival - rec.last_video_at > VIDEO_GONE_SECONDS
            ):
                self._close_segment(rec)
                segment = self._open_segment(rec, t, with_video=False)
                self._mux(segment, "audio", item.data, t, False)
                return
        self._mux(segment, item.kind, item.data, t, item.keyframe)

    def _open_segment(self, rec: _ParticipantRecording, t: float, *, with_video: bool) -> _Segment:
        rec.seq += 1
        name = f"{safe_name(rec.pid)}.{self.session}.{rec.seq:04d}.webm"
        path = self.directory / name
        # 1 s clusters, flushed as they complete: a crash loses about a second of the open segment, not all of it.
        container = av.open(str(path), "w", format="webm", options={"cluster_time_limit": "1000", "flush_packets": "1"})
        streams: dict[str, Stream] = {}
        frame_size = rec.frame_size if with_video else None
        if with_video:
            width, height = rec.frame_size or (640, 480)
            video = container.add_mux_stream("vp8", width=width, height=height)
            video.time_base = MS
            streams["video"] = video
        audio = container.add_mux_stream("opus", rate=48000)
        audio.time_base = MS
        streams["audio"] = audio
        pending = [(pt, data) for pt, data in rec.pending_audio if pt >= t - VIDEO_WAIT_SECONDS]
        rec.pending_audio.clear()
        start = min([t] + [pt for pt, _ in pending])
        segment = rec.segment = _Segment(path, container, streams, start, start, frame_size)
        self._journal.append({"type": "segment_open", "file": name, "participant": rec.pid, "start": start})
        for pt, data in pending:
            self._mux(segment, "audio", data, pt, False)
        return segment

    def _mux(self, segment: _Segment, kind: str, data: bytes, t: float, keyframe: bool) -> None:
        stream = segment.streams.get(kind)
        if stream is None:
            return
        ts = round((t - segment.start) * 1000)
        last = segment.last_ts.get(kind)
        if ts < 0:
            self.packets_dropped += 1
            return
        if last is not None and ts <= last:
            if kind == "audio" or ts < last:
                self.packets_dropped += 1
                return
            ts = last + 1
        packet = av.Packet(data)
        packet.stream = stream
        packet.time_base = MS
        packet.pts = packet.dts = ts
        packet.is_keyframe = keyframe
        segment.container.mux(packet)
        segment.last_ts[kind] = ts
        segment.kinds.add(kind)
        segment.end = max(segment.end, t + (0.02 if kind == "audio" else 0.0))
        self.packets_written += 1

    def _close_segment(self, rec: _ParticipantRecording) -> None:
        segment = rec.segment
        if segment is None:
            return
        rec.segment = None
        try:
            segment.container.close()
        except Exception:
            logger.exception("closing segment %s failed", segment.path.name)
        if not segment.kinds:
            segment.path.unlink(missing_ok=True)
            self._journal.append({"type": "segment_discarded", "file": segment.path.name}, sync=True)
            return
        fsync_path(segment.path)
        sha256, size = file_sha256(segment.path)
        record = {
            "type": "segment",
            "file": segment.path.name,
            "participant": rec.pid,
            "kinds": sorted(segment.kinds),
            "start": segment.start,
            "end": segment.end,
            "sha256": sha256,
            "bytes": size,
        }
        self._journal.append(record, sync=True)
        self.segments_closed += 1
        callback = self.on_segment_closed
        if callback is not None:
            info = {**record, "room_id": self.room_id, "path": str(segment.path)}
            if self._loop is not None:
                with contextlib.suppress(RuntimeError):
                    self._loop.call_soon_threadsafe(callback, info)
            else:
                callback(info)

    def _finish(self, done: threading.Event, result: list[Path]) -> None:
        try:
            for rec in self._participants.values():
                try:
                    self._close_segment(rec)
                except Exception:
                    logger.exception("closing a segment at finish failed")
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
