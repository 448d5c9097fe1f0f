"""The RTP path's remux: the binary media journal (``media_journal.py``) into the same WebM segments, journal records
and manifest as the packets path, in a worker process: ``python -m videoatencion_media.remux --worker`` (the shared
worker, following every room its parent records) or ``python -m videoatencion_media.remux <room folder>`` (once).

Each participant's RTP packets are depacketized here and the frames fed, in journal order, to the
:class:`~videoatencion_media.segments.SegmentWriter` the packets path's recorder uses, so segment names, cuts, times,
SHA-256s and journal records are made by the same code:

- reordering: per participant and kind, packets are released in sequence-number order (16-bit sequence and 32-bit
  timestamp wraps unwound; a stream's first packets wait ``START_SECONDS`` for earlier ones); a missing packet is
  waited for until a packet arrives ``REORDER_SECONDS`` (arrival time, from the journal: the result never depends on
  when the remux runs) after the gap opened or ``MAX_HELD`` packets wait, then given up;
- VP8 (RFC 7741): a frame is the payloads (descriptor stripped) of consecutive packets of one timestamp, from one
  whose descriptor starts partition 0 (S=1) to the marker bit; a frame with a packet missing is dropped, and every
  video frame after it until a keyframe;
- Opus: one frame per packet;
- a participant's SSRC that changes starts a new segment (a reconnection), as a ``new_segment`` record does.

Control records go to ``journal.jsonl`` (participants, events, chat), each with its record's offset as ``rtpj``.

Resuming (a remux that died, or a crash's recovery): the folder's journal says which segments closed and which
control records were journaled; the remux reads the media journal from the start again and replays those segments
without writing them (``SegmentWriter`` ``done_files``): the decisions depend only on the records, so it reaches the
same boundaries and writes the first segment that never closed anew. One remux at a time per folder
(flock on ``.remux.lock``).

Modes:

- ``--worker`` (one per node worker process, started and restarted by ``remux_worker.py``'s
  :class:`~videoatencion_media.remux_worker.RemuxWorker`): one thread following the media journals of the rooms its
  parent records, several at once. Stdin: JSON lines, ``{"follow": "<folder>"}`` (a recording started: read its
  chunks as the recorder's writer thread appends them, every ``POLL_SECONDS``, at most ``STEP_RECORDS`` records of a
  folder at a time) and ``{"finish": "<folder>"}`` (the recorder's ``finish``: remux the rest, close every segment,
  let go of the folder). Stdout: one JSON line per closed segment (its journal record and ``"folder"``), and for each
  finish ``{"finished": "<folder>", "ok": true, ...stats}`` (``"ok": false`` and ``"error"`` when it could not remux
  that folder: the recorder then remuxes it once, below). A folder whose ``.remux.lock`` another remux holds is tried
  again at each poll; a folder that fails is let go of; the others go on. When stdin closes (the parent stopped it,
  or the parent is gone) it finishes every folder it follows and exits. Segments close, are journaled and are
  uploaded while the call goes on. Nothing to follow: it sleeps on stdin;
- once (the uploader's crash recovery, or ``finish`` when the worker failed): everything up to the torn end. Stdout:
  one JSON line per closed segment (its journal record), then one ``{"type": "stats", ...}`` line. Exit status 0 when
  every record was remuxed.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import select
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Final

from videoatencion_media.journal import JOURNAL, MEDIA_JOURNAL, REMUX_LOCK, Journal, read_journal
from videoatencion_media.media_journal import KIND_CONTROL, KIND_NAMES, MediaJournalReader, Record
from videoatencion_media.remux_worker import json_object
from videoatencion_media.rtp_packets import (
    RtpHeader,
    is_vp8_keyframe,
    parse_rtp,
    vp8_descriptor_size,
    vp8_starts_frame,
)
from videoatencion_media.segments import SegmentWriter

logger = logging.getLogger(__name__)

# A stream's first packets wait this long (arrival time) for earlier ones that arrive after them.
START_SECONDS: Final = 0.2
# A missing packet is given up when a packet arrives this long after the gap opened (RTX has had its chance) ...
REORDER_SECONDS: Final = 0.5
# ... or when this many packets wait behind it.
MAX_HELD: Final = 1000
# A packet this far behind the next expected one is a restarted sequence, not a late packet.
MAX_MISORDER: Final = 1000
# How often the shared worker looks for new chunks in the folders it follows ...
POLL_SECONDS: Final = 0.25
# ... remuxing at most this many records of one folder before it turns to the next (a folder with a backlog, such as
# one a restarted worker replays from the start, does not hold up the others).
STEP_RECORDS: Final = 2000

Frame = tuple[bytes, int, bool, float]  # data, RTP timestamp (unwound), keyframe, arrival


class _Stream:
    """One participant's audio or video, one SSRC: reorder, then frames (see the module docstring)."""

    def __init__(self, kind: str, ssrc: int, generation: int) -> None:
        self.video = kind == "video"
        self.ssrc = ssrc
        self.generation = generation
        self.next: int | None = None  # extended sequence number of the next packet to release
        self.started = False
        self.first_arrival = 0.0
        self.highest = 0
        self.held: dict[int, tuple[RtpHeader, bytes, float]] = {}
        self.gap_since: float | None = None
        self.last_ts_raw: int | None = None
        self.last_ts = 0
        # The VP8 frame being assembled.
        self.frame_ts: int | None = None
        self.parts: list[bytes] = []
        self.frame_ok = False
        self.frame_arrival = 0.0
        self.need_keyframe = True
        self.frames = 0
        self.frames_dropped = 0
        self.lost = 0
        self.late = 0

    def add(self, header: RtpHeader, packet: bytes, arrival: float, out: list[Frame]) -> None:
        seq = header.sequence
        if self.next is None:
            self.next = self.highest = seq
            self.first_arrival = arrival
            ext = seq
        else:
            ext = self.highest + ((seq - self.highest + 0x8000) & 0xFFFF) - 0x8000
            if not self.started and self.next - MAX_MISORDER < ext < self.next:
                self.next = ext  # an earlier packet came after the first: start there
            elif ext < self.next - MAX_MISORDER:
                self.flush(out)  # the sender restarted its sequence
                self.next = self.highest = ext
        if ext < self.next or ext in self.held:
            self.late += 1
            return
        self.highest = max(self.highest, ext)
        self.held[ext] = (header, packet, arrival)
        if not self.started:
            if arrival - self.first_arrival < START_SECONDS and len(self.held) <= MAX_HELD:
                return
            self.started = True
        self._release(out)
        if not self.held:
            self.gap_since = None
            return
        if self.gap_since is None:
            self.gap_since = arrival
        if arrival - self.gap_since >= REORDER_SECONDS or len(self.held) > MAX_HELD:
            self._skip_gap(out)
            self.gap_since = arrival if self.held else None

    def flush(self, out: list[Frame]) -> None:
        """Release everything held, gaps given up; a frame still incomplete is dropped."""
        while self.held:
            self._skip_gap(out)
        if self.frame_ts is not None:
            self._drop_frame()
        self.gap_since = None

    def _release(self, out: list[Frame]) -> None:
        while self.next is not None and self.next in self.held:
            header, packet, arrival = self.held.pop(self.next)
            self.next += 1
            self._packet(header, packet, arrival, out)

    def _skip_gap(self, out: list[Frame]) -> None:
        lowest = min(self.held)
        if self.next is not None:
            self.lost += lowest - self.next
        self.next = lowest
        if self.video:
            self.frame_ok = False
            self.need_keyframe = True
        self._release(out)

    def _timestamp(self, raw: int) -> int:
        if self.last_ts_raw is None:
            self.last_ts = raw
        else:
            self.last_ts += ((raw - self.last_ts_raw + 0x80000000) & 0xFFFFFFFF) - 0x80000000
        self.last_ts_raw = raw
        return self.last_ts

    def _packet(self, header: RtpHeader, packet: bytes, arrival: float, out: list[Frame]) -> None:
        ts = self._timestamp(header.timestamp)
        if not self.video:
            if header.end > header.start:
                self.frames += 1
                out.append((packet[header.start : header.end], ts, True, arrival))
            return
        if self.frame_ts is not None and ts != self.frame_ts:
            self._end_frame(out)  # no marker, yet nothing missing: the frame was whole
        if self.frame_ts is None:
            self.frame_ts = ts
            self.parts = []
            self.frame_ok = header.end > header.start and vp8_starts_frame(packet, header.start)
        try:
            start = header.start + vp8_descriptor_size(packet, header.start)
        except IndexError:
            self.frame_ok = False
        else:
            if start <= header.end:
                self.parts.append(packet[start : header.end])
            else:
                self.frame_ok = False
        self.frame_arrival = arrival
        if header.marker:
            self._end_frame(out)

    def _end_frame(self, out: list[Frame]) -> None:
        data = b"".join(self.parts) if self.frame_ok else b""
        if not data:
            self._drop_frame()
            return
        keyframe = is_vp8_keyframe(data)
        if self.need_keyframe and not keyframe:
            self._drop_frame()
            return
        self.need_keyframe = False
        self.frames += 1
        out.append((data, self.frame_ts or 0, keyframe, self.frame_arrival))
        self.frame_ts = None
        self.parts = []

    def _drop_frame(self) -> None:
        self.frames_dropped += 1
        self.need_keyframe = True
        self.frame_ts = None
        self.parts = []


class _Sender:
    def __init__(self, pid: str) -> None:
        self.pid = pid
        self.generation = 0
        self.streams: dict[str, _Stream] = {}


class Remux:
    """Feeds one room folder's media journal records to its segment writer (see the module docstring)."""

    def __init__(self, directory: Path, on_segment: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.directory = directory
        records = read_journal(directory / JOURNAL)
        room = next((r for r in records if r.get("type") == "room"), None)
        if room is None:
            raise ValueError(f"{directory} has no room record")
        done = frozenset(str(r["file"]) for r in records if r.get("type") in ("segment", "segment_discarded"))
        opened = frozenset(str(r["file"]) for r in records if r.get("type") == "segment_open")
        # Control records up to this offset were journaled by a previous run.
        self.journaled_through = max((int(r["rtpj"]) for r in records if "rtpj" in r), default=-1)
        self.journal = Journal(directory / JOURNAL)
        self.segments = SegmentWriter(
            directory,
            str(room["session"]),
            self.journal,
            float(room.get("segment_seconds", 30.0)),
            segment_closed=on_segment,
            done_files=done,
            opened_files=opened,
        )
        self.senders: dict[int, _Sender] = {}
        self.invalid = 0
        self._frames: list[Frame] = []

    def record(self, record: Record) -> None:
        if record.kind == KIND_CONTROL:
            self._control(record)
            return
        kind = KIND_NAMES.get(record.kind)
        sender = self.senders.get(record.participant)
        header = parse_rtp(record.data)
        if kind is None or sender is None or header is None:
            self.invalid += 1
            return
        stream = sender.streams.get(kind)
        if stream is None or stream.ssrc != header.ssrc:
            if stream is not None:
                self._flush(sender, kind, stream)
                if stream.generation == sender.generation:
                    self._new_segment(sender)  # the first of its streams to change SSRC: a reconnection
            stream = sender.streams[kind] = _Stream(kind, header.ssrc, sender.generation)
        frames = self._frames
        stream.add(header, record.data, record.arrival, frames)
        if frames:
            self._feed(sender, kind, frames)

    def finish(self) -> None:
        """The end of the media: flush every stream, close every segment, close the journal."""
        for sender in self.senders.values():
            for kind, stream in sender.streams.items():
                self._flush(sender, kind, stream)
        self.segments.close_all()
        self.journal.close()

    def stats(self) -> dict[str, int]:
        streams = [s for sender in self.senders.values() for s in sender.streams.values()]
        return {
            "frames": sum(s.frames for s in streams),
            "frames_dropped": sum(s.frames_dropped for s in streams),
            "packets_lost": sum(s.lost for s in streams),
            "packets_late": sum(s.late for s in streams),
            "packets_invalid": self.invalid,
            "segments_closed": self.segments.segments_closed,
        }

    def _feed(self, sender: _Sender, kind: str, frames: list[Frame]) -> None:
        for data, pts, keyframe, arrival in frames:
            try:
                self.segments.frame(sender.pid, kind, data, pts, keyframe, arrival)
            except Exception:
                logger.exception("remuxing a frame failed", extra={"participant_id": sender.pid})
        frames.clear()

    def _flush(self, sender: _Sender, kind: str, stream: _Stream) -> None:
        frames = self._frames
        stream.flush(frames)
        self._feed(sender, kind, frames)

    def _new_segment(self, sender: _Sender) -> None:
        for kind, stream in sender.streams.items():
            self._flush(sender, kind, stream)
        sender.streams.clear()
        sender.generation += 1
        self.segments.new_segment(sender.pid)

    def _control(self, record: Record) -> None:
        try:
            message = json.loads(record.data)
        except ValueError:
            self.invalid += 1
            return
        if not isinstance(message, dict):
            self.invalid += 1
            return
        op = message.get("op")
        journal = record.offset > self.journaled_through
        if op == "participant":
            pid = str(message["participant_id"])
            self.senders.setdefault(record.participant, _Sender(pid))
            self.segments.register(pid)
            if journal:
                self.journal.append(
                    {
                        "type": "participant",
                        "participant_id": pid,
                        "role": message.get("role"),
                        "name": message.get("name"),
                        "rtpj": record.offset,
                    }
                )
        elif op == "new_segment":
            sender = self.senders.get(record.participant)
            if sender is not None:
                self._new_segment(sender)
        elif op == "event" and journal:
            self.journal.append(
                {"type": "event", "event": message.get("event"), "t": message.get("t"), "rtpj": record.offset}
            )
        elif op == "chat" and journal:
            fields = {k: message.get(k) for k in ("participant_id", "name", "text", "at")}
            self.journal.append({"type": "chat", **fields, "rtpj": record.offset})


class FolderRemux:
    """A room folder being remuxed: its ``.remux.lock``, its :class:`Remux` and the reader of its media journal, so
    that the journal can be remuxed a step at a time as it grows (the shared worker) or at once (``remux_folder``)."""

    def __init__(self, directory: Path, on_segment: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.directory = directory
        self.on_segment = on_segment
        self.failed: str | None = None
        self._lock: IO[bytes] | None = None
        self._remux: Remux | None = None
        self._reader: MediaJournalReader | None = None
        self._records: Iterator[Record] | None = None  # a read the budget cut short, resumed next step

    def acquire(self, *, wait: bool) -> bool:
        """Take the folder's ``.remux.lock`` (waiting for it, or not) and open its journals; True once held.

        Raises when the folder cannot be remuxed (no room record, no media journal)."""
        if self._remux is not None:
            return True
        lock = (self.directory / REMUX_LOCK).open("ab")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            lock.close()
            return False
        try:
            reader = MediaJournalReader(self.directory / MEDIA_JOURNAL)
            try:
                self._remux = Remux(self.directory, self.on_segment)
            except BaseException:
                reader.close()
                raise
        except BaseException:
            lock.close()
            raise
        self._lock = lock
        self._reader = reader
        return True

    def step(self, budget: int | None = None) -> bool:
        """Remux the records of the chunks complete now, at most ``budget`` of them; True if the budget ran out."""
        if self._remux is None or self._reader is None:
            return False
        if self._records is None:
            self._records = self._reader.read()
        for done, record in enumerate(self._records, 1):
            self._remux.record(record)
            if budget is not None and done >= budget:
                return True
        self._records = None
        return False

    def finish(self) -> dict[str, int]:
        """Remux the rest of the journal and close every segment; the stats. The lock must be held."""
        if self._remux is None or self._reader is None:
            raise RuntimeError(f"{self.directory} is not held")
        while self.step():
            pass
        self._remux.finish()
        stats = {**self._remux.stats(), "records": self._reader.records}
        self._remux = None  # its segments and journal closed: only the reader and the lock are left
        self.close()
        return stats

    def close(self) -> None:
        """Let go of the folder (journals closed, lock released); an open segment is left as a crash leaves it."""
        remux, reader, lock = self._remux, self._reader, self._lock
        self._remux = self._reader = self._records = self._lock = None
        if remux is not None:
            for participant in remux.segments.participants.values():
                segment = participant.segment
                if segment is not None and segment.container is not None:
                    with contextlib.suppress(Exception):
                        segment.container.close()
            with contextlib.suppress(OSError):
                remux.journal.close()
        if reader is not None:
            reader.close()
        if lock is not None:
            lock.close()


def remux_folder(directory: Path, *, on_segment: Callable[[dict[str, Any]], None] | None = None) -> dict[str, int]:
    """Remux a room folder's media journal, up to its torn end, once (see the module docstring); the stats."""
    folder = FolderRemux(directory, on_segment)
    folder.acquire(wait=True)
    try:
        return folder.finish()
    finally:
        folder.close()


def serve(commands: int, emit: Callable[[dict[str, Any]], None]) -> int:
    """The shared worker: follow the folders the commands on file descriptor ``commands`` name (see the module
    docstring) until it closes, then finish every folder still followed."""
    followed: dict[str, FolderRemux] = {}
    pending = b""
    next_poll = time.monotonic()

    def finish(key: str, folder: FolderRemux) -> None:
        answer: dict[str, Any] = {"finished": key, "ok": False}
        try:
            if folder.failed is not None:
                answer["error"] = folder.failed
            elif not folder.acquire(wait=False):
                answer["error"] = "another remux holds the folder"
            else:
                answer = {**answer, **folder.finish(), "ok": True}
        except Exception as error:
            logger.exception("remuxing %s failed", key)
            answer["error"] = repr(error)
        finally:
            folder.close()
        emit(answer)

    def new_folder(key: str) -> FolderRemux:
        return FolderRemux(Path(key), lambda record: emit({"folder": key, **record}))

    def command(line: bytes) -> None:
        message = json_object(line)
        if message is None:
            return
        follow, end = message.get("follow"), message.get("finish")
        if isinstance(follow, str) and follow not in followed:
            followed[follow] = new_folder(follow)
        elif isinstance(end, str):
            finish(end, followed.pop(end) if end in followed else new_folder(end))

    def step() -> bool:
        more = False
        for key, folder in followed.items():
            if folder.failed is not None:
                continue
            try:
                if folder.acquire(wait=False):
                    more = folder.step(STEP_RECORDS) or more
            except Exception as error:
                logger.exception("remuxing %s failed", key)
                folder.failed = repr(error)
                folder.close()
        return more

    while True:
        timeout = max(0.0, next_poll - time.monotonic()) if followed else None
        readable, _, _ = select.select([commands], [], [], timeout)
        if readable:
            data = os.read(commands, 65536)
            if not data:
                break
            *lines, pending = (pending + data).split(b"\n")
            for line in lines:
                command(line)
        if followed and time.monotonic() >= next_poll:
            more = step()
            next_poll = time.monotonic() + (0.0 if more else POLL_SECONDS)
    for key in list(followed):
        finish(key, followed.pop(key))
    return 0


def _emit(line: dict[str, Any]) -> None:
    with contextlib.suppress(BrokenPipeError, ValueError):  # nobody listens (the recorder's process is gone)
        sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m videoatencion_media.remux", description="Remux room folders' RTP media journals into WebM."
    )
    parser.add_argument("directory", type=Path, nargs="?", help="remux this room folder once")
    parser.add_argument("--worker", action="store_true", help="the shared worker: follow the folders stdin names")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="remux %(levelname)s %(message)s")
    if args.worker:
        return serve(sys.stdin.fileno(), _emit)
    directory: Path | None = args.directory
    if directory is None:
        parser.error("a room folder, or --worker")
    if not (directory / MEDIA_JOURNAL).is_file():
        logger.error("%s has no media journal", directory)
        return 2
    stats = remux_folder(directory, on_segment=_emit)
    _emit({"type": "stats", **stats})
    return 0


if __name__ == "__main__":
    sys.exit(main())
