"""The segments of a room recording: each participant's encoded VP8/Opus frames muxed into WebM files, never a decode.

One :class:`SegmentWriter` per recording, fed one frame at a time in arrival order, in one thread. Two feeders share
it, so both record paths make the same files, journal records and manifest:

- the packets path's :class:`~videoatencion_media.recording.RoomRecorder` (its writer thread, frames from aiortc);
- the RTP path's remux (``remux.py``, a worker process), frames depacketized from the binary media journal.

What it decides, per participant: a segment opens at a video keyframe (audio waits up to ``VIDEO_WAIT_SECONDS`` for
one, then opens an audio-only segment); it rotates at the first keyframe once ``segment_seconds`` have passed (or at a
change of frame size), asking for a keyframe meanwhile, or on audio when video has stopped for
``VIDEO_GONE_SECONDS``; :meth:`SegmentWriter.new_segment` closes it and starts a new timeline (reconnection). A frame's
time is its stream's anchor (the first frame's arrival) plus the RTP clock since then.

Journal records (``journal.jsonl``): ``segment_open`` when a file is opened, ``segment`` (SHA-256, size, start/end)
or ``segment_discarded`` when it closes, fsync'd. ``done_files`` (the remux resuming after a crash) replays segments
already closed without writing them: the decisions depend only on the frames fed, so the replay reaches the same
boundaries and the first file it writes is the one the crash left open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import av
from av.container import OutputContainer
from av.stream import Stream

from videoatencion_media.journal import MS, Journal, file_sha256, fsync_path, safe_name
from videoatencion_media.rtp_packets import vp8_frame_size

logger = logging.getLogger(__name__)

CLOCK_RATES: Final = {"audio": 48000, "video": 90000}
# Audio waits this long for the participant's first video keyframe before a segment opens without video.
VIDEO_WAIT_SECONDS: Final = 2.0
# No video packet for this long: the participant stopped sending video (audio-only), rotate without a keyframe.
VIDEO_GONE_SECONDS: Final = 2.0
KEYFRAME_RETRY_SECONDS: Final = 2.0
# A source timestamp that jumps by more than this is a new timeline (the sender restarted).
MAX_TIMESTAMP_JUMP_SECONDS: Final = 10.0


@dataclass
class _Segment:
    path: Path
    # None when replaying a segment already closed (``done_files``): the decisions are made, nothing is written.
    container: OutputContainer | None
    streams: dict[str, Stream | None]
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


class _Participant:
    def __init__(self, pid: str) -> None:
        self.pid = pid
        self.segment: _Segment | None = None
        self.seq = 0
        self.anchors: dict[str, _Anchor] = {}
        self.pending_audio: list[tuple[float, bytes]] = []
        self.frame_size: tuple[int, int] | None = None
        self.last_video_at = 0.0
        self.keyframe_asked_at = 0.0


class SegmentWriter:
    """Writes a recording's segments and their journal records (see the module docstring). Not thread-safe."""

    def __init__(
        self,
        directory: Path,
        session: str,
        journal: Journal,
        segment_seconds: float,
        *,
        ask_keyframe: Callable[[str], None] | None = None,
        segment_closed: Callable[[dict[str, Any]], None] | None = None,
        done_files: frozenset[str] = frozenset(),
        opened_files: frozenset[str] = frozenset(),
    ) -> None:
        self.directory = directory
        self.session = session
        self.journal = journal
        self.segment_seconds = segment_seconds
        # Called with a participant id (rate-limited per participant) when its next video frame should be a keyframe.
        self.ask_keyframe = ask_keyframe
        # Called with each closed segment's journal record (after it is fsync'd and journaled).
        self.segment_closed = segment_closed
        self.done_files = done_files
        self.opened_files = set(opened_files)
        self.participants: dict[str, _Participant] = {}
        self.packets_written = 0
        self.packets_dropped = 0
        self.segments_closed = 0

    def register(self, pid: str) -> _Participant:
        """The participant's state, created if new (no journal record)."""
        rec = self.participants.get(pid)
        if rec is None:
            rec = self.participants[pid] = _Participant(pid)
        return rec

    def participant(self, pid: str) -> _Participant:
        """The participant's state; a new one gets a journal record without role or name."""
        rec = self.participants.get(pid)
        if rec is None:
            rec = self.register(pid)
            self.journal.append({"type": "participant", "participant_id": pid, "role": None, "name": None})
        return rec

    def new_segment(self, pid: str) -> None:
        """Close the participant's open segment; its next frames start a new one on a new timeline."""
        rec = self.participants.get(pid)
        if rec is not None:
            self._close_segment(rec)
            rec.anchors.clear()
            rec.pending_audio.clear()

    def close_all(self) -> None:
        """Close every open segment (end of the recording)."""
        for rec in self.participants.values():
            try:
                self._close_segment(rec)
            except Exception:
                logger.exception("closing a segment at finish failed")

    def _ask_keyframe(self, rec: _Participant, now: float) -> None:
        if now - rec.keyframe_asked_at < KEYFRAME_RETRY_SECONDS:
            return
        rec.keyframe_asked_at = now
        if self.ask_keyframe is not None:
            self.ask_keyframe(rec.pid)

    def _media_time(self, rec: _Participant, kind: str, pts: int, arrival: float) -> float:
        """Wall-clock time of a frame: its stream's anchor (first arrival) plus the RTP clock since then."""
        clock = CLOCK_RATES[kind]
        anchor = rec.anchors.get(kind)
        if anchor is None or not 0 <= pts - anchor.last_pts <= MAX_TIMESTAMP_JUMP_SECONDS * clock:
            anchor = rec.anchors[kind] = _Anchor(pts, arrival, pts)
        anchor.last_pts = pts
        return anchor.wall0 + (pts - anchor.pts0) / clock

    def frame(self, pid: str, kind: str, data: bytes, pts: int, keyframe: bool, arrival: float) -> None:
        """One encoded frame of a participant: ``pts`` on the RTP clock of its kind, ``arrival`` its wall-clock time."""
        rec = self.participant(pid)
        t = self._media_time(rec, kind, pts, arrival)
        segment = rec.segment
        if kind == "video":
            rec.last_video_at = arrival
            size = vp8_frame_size(data) if keyframe else None
            if size is not None:
                rec.frame_size = size
            if segment is None:
                if size is None:
                    self._ask_keyframe(rec, arrival)
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
                self._ask_keyframe(rec, arrival)
        else:
            if segment is None:
                rec.pending_audio.append((t, data))
                if t - rec.pending_audio[0][0] < VIDEO_WAIT_SECONDS:
                    self._ask_keyframe(rec, arrival)
                    return
                segment = self._open_segment(rec, rec.pending_audio[0][0], with_video=False)
                return
            if t - segment.start >= self.segment_seconds and (
                "video" not in segment.streams or arrival - rec.last_video_at > VIDEO_GONE_SECONDS
            ):
                self._close_segment(rec)
                segment = self._open_segment(rec, t, with_video=False)
                self._mux(segment, "audio", data, t, False)
                return
        self._mux(segment, kind, data, t, keyframe)

    def _open_segment(self, rec: _Participant, t: float, *, with_video: bool) -> _Segment:
        rec.seq += 1
        name = f"{safe_name(rec.pid)}.{self.session}.{rec.seq:04d}.webm"
        path = self.directory / name
        container: OutputContainer | None = None
        if name not in self.done_files:
            # 1 s clusters, flushed as they complete: a crash loses about a second of the open segment, not all of it.
            container = av.open(
                str(path), "w", format="webm", options={"cluster_time_limit": "1000", "flush_packets": "1"}
            )
        streams: dict[str, Stream | None] = {}
        frame_size = rec.frame_size if with_video else None
        if with_video:
            video: Stream | None = None
            if container is not None:
                width, height = rec.frame_size or (640, 480)
                video = container.add_mux_stream("vp8", width=width, height=height)
                video.time_base = MS
            streams["video"] = video
        audio: Stream | None = None
        if container is not None:
            audio = container.add_mux_stream("opus", rate=48000)
            audio.time_base = MS
        streams["audio"] = audio
        pending = [(pt, data) for pt, data in rec.pending_audio if pt >= t - VIDEO_WAIT_SECONDS]
        rec.pending_audio.clear()
        start = min([t] + [pt for pt, _ in pending])
        segment = rec.segment = _Segment(path, container, streams, start, start, frame_size)
        if container is not None and name not in self.opened_files:
            self.opened_files.add(name)
            self.journal.append({"type": "segment_open", "file": name, "participant": rec.pid, "start": start})
        for pt, data in pending:
            self._mux(segment, "audio", data, pt, False)
        return segment

    def _mux(self, segment: _Segment, kind: str, data: bytes, t: float, keyframe: bool) -> None:
        if kind not in segment.streams:
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
        stream = segment.streams[kind]
        if segment.container is not None and stream is not None:
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

    def _close_segment(self, rec: _Participant) -> None:
        segment = rec.segment
        if segment is None:
            return
        rec.segment = None
        if segment.container is None:
            return  # replayed: closed and journaled before
        try:
            segment.container.close()
        except Exception:
            logger.exception("closing segment %s failed", segment.path.name)
        if not segment.kinds:
            segment.path.unlink(missing_ok=True)
            self.journal.append({"type": "segment_discarded", "file": segment.path.name}, sync=True)
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
        self.journal.append(record, sync=True)
        self.segments_closed += 1
        if self.segment_closed is not None:
            self.segment_closed(record)
