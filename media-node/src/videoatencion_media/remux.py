"""The RTP path's remux: the binary media journal (``media_journal.py``) into the same WebM segments, journal records
and manifest as the packets path, in a worker process. ``python -m videoatencion_media.remux [--follow] <room folder>``.

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

- ``--follow`` (started by the recorder when the call starts): reads the chunks the recorder's writer thread appends
  as they come (polling every ``POLL_SECONDS``) until its stdin closes (the recorder's ``finish``, or the recorder's
  process gone), then remuxes what is left and closes every segment. Segments close, are journaled and are uploaded
  while the call goes on;
- without it (the uploader's crash recovery, or ``finish`` when the follower failed): everything up to the torn end.

Stdout: one JSON line per closed segment (its journal record), which the recorder turns into ``on_segment_closed``
calls, then one ``{"type": "stats", ...}`` line. Exit status 0 when every record was remuxed.
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
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Final

from videoatencion_media.journal import JOURNAL, MEDIA_JOURNAL, REMUX_LOCK, Journal, read_journal
from videoatencion_media.media_journal import KIND_CONTROL, KIND_NAMES, MediaJournalReader, Record
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
# How often a following remux looks for new chunks.
POLL_SECONDS: Final = 0.25

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


def remux_folder(
    directory: Path,
    *,
    follow: IO[bytes] | None = None,
    on_segment: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, int]:
    """Remux a room folder's media journal (see the module docstring); with ``follow``, until that stream ends."""
    with (directory / REMUX_LOCK).open("ab") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        remux = Remux(directory, on_segment)
        reader = MediaJournalReader(directory / MEDIA_JOURNAL)
        try:
            while True:
                ended = follow is None or _ended(follow)
                for record in reader.read():
                    remux.record(record)
                if ended:
                    break
        finally:
            reader.close()
        remux.finish()
        return {**remux.stats(), "records": reader.records}


def _ended(stream: IO[bytes]) -> bool:
    """Wait up to POLL_SECONDS for the stream to close; True once it has (anything read from it is ignored)."""
    readable, _, _ = select.select([stream], [], [], POLL_SECONDS)
    return bool(readable) and not os.read(stream.fileno(), 4096)


def _emit(line: dict[str, Any]) -> None:
    with contextlib.suppress(BrokenPipeError, ValueError):  # nobody listens (the recorder's process is gone)
        sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m videoatencion_media.remux", description="Remux a room folder's RTP media journal into WebM."
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--follow", action="store_true", help="follow the journal as it grows until stdin closes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="remux %(levelname)s %(message)s")
    directory: Path = args.directory
    if not (directory / MEDIA_JOURNAL).is_file():
        logger.error("%s has no media journal", directory)
        return 2
    stats = remux_folder(directory, follow=sys.stdin.buffer if args.follow else None, on_segment=_emit)
    _emit({"type": "stats", **stats})
    return 0


if __name__ == "__main__":
    sys.exit(main())
