"""A room recording's disk format: the journal, the manifest built from it, the repair of a segment left open.

Both sides use it: the recorder (``recording.py``; on the RTP path ``rtp_recording.py`` and its remux process) writes
the journal and the manifest as the call goes; the uploader (``uploads.py``) reads them to know what to upload, and
after a crash builds a "partial" manifest from the journal and salvages the open segments (on the RTP path it first
remuxes the binary media journal). See ``recording.py`` and ``rtp_recording.py`` for the folder's layout.
"""

from __future__ import annotations

import contextlib
import fractions
import hashlib
import json
import logging
import os
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

import av
from av.stream import Stream

logger = logging.getLogger(__name__)

JOURNAL: Final = "journal.jsonl"
MANIFEST: Final = "manifest.json"
LOCK: Final = ".lock"
# The RTP path's binary media journal (``media_journal.py``), remuxed into segments by ``remux.py``.
MEDIA_JOURNAL: Final = "media.rtpj"
# Held by the remux process while it writes a folder's segments (one remux at a time per folder).
REMUX_LOCK: Final = ".remux.lock"
MS: Final = fractions.Fraction(1, 1000)


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def safe_name(value: str) -> str:
    return _UNSAFE.sub("_", value)[:80] or "_"


def file_sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_journal(path: Path) -> list[dict[str, Any]]:
    """The journal's records; a torn last line (crash mid-write) is skipped."""
    records: list[dict[str, Any]] = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return records
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def _clip_intervals(intervals: list[tuple[float, float | None]], start: float, end: float) -> list[list[str]]:
    clipped: list[list[str]] = []
    for a, b in intervals:
        b_end = end if b is None else b
        lo, hi = max(a, start), min(b_end, end)
        if hi > lo:
            clipped.append([iso(lo), iso(hi)])
    return clipped


def manifest_from_journal(records: list[dict[str, Any]], status: str) -> dict[str, Any]:
    """The room manifest from its journal records (the recorder's finish and the crash recovery both use this)."""
    room: dict[str, Any] = next((r for r in records if r.get("type") == "room"), {})
    participants: dict[str, dict[str, Any]] = {}
    segments: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    chat: list[dict[str, Any]] = []
    audio_only: dict[str, list[tuple[float, float | None]]] = {}
    for r in records:
        kind = r.get("type")
        if kind == "participant":
            pid = str(r["participant_id"])
            entry = participants.setdefault(pid, {"id": pid, "role": None, "name": None})
            for key in ("role", "name"):
                if r.get(key) is not None:
                    entry[key] = r[key]
        elif kind == "segment":
            segments.append(r)
        elif kind == "chat":
            chat.append({k: r[k] for k in ("participant_id", "name", "text", "at") if k in r})
        elif kind == "event":
            event = dict(r.get("event") or {})
            events.append(event)
            if event.get("type") == "audio_only" and "participant_id" in event:
                spans = audio_only.setdefault(str(event["participant_id"]), [])
                t = float(r.get("t", 0.0))
                if event.get("on"):
                    if not spans or spans[-1][1] is not None:
                        spans.append((t, None))
                elif spans and spans[-1][1] is None:
                    spans[-1] = (spans[-1][0], t)
    manifest_segments = []
    for s in segments:
        manifest_segments.append(
            {
                "file": s["file"],
                "participant": s["participant"],
                "kinds": s["kinds"],
                "start": iso(s["start"]),
                "end": iso(s["end"]),
                "duration_seconds": round(s["end"] - s["start"], 3),
                "sha256": s["sha256"],
                "bytes": s["bytes"],
                "audio_only": _clip_intervals(audio_only.get(s["participant"], []), s["start"], s["end"]),
                **({"salvaged": True} if s.get("salvaged") else {}),
            }
        )
    starts = [s["start"] for s in segments]
    ends = [s["end"] for s in segments]
    return {
        "room_id": room.get("room_id"),
        "appointment_id": room.get("appointment_id"),
        "status": status,
        "created_at": room.get("created_at"),
        "finished_at": iso(time.time()),
        "duration_seconds": round(max(ends) - min(starts), 3) if segments else 0.0,
        "participants": list(participants.values()),
        "segments": manifest_segments,
        "events": events,
        "chat": chat,
    }


def write_manifest(directory: Path, manifest: dict[str, Any]) -> tuple[Path, str]:
    """Write manifest.json atomically and durably; returns its path and SHA-256."""
    data = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
    tmp = directory / (MANIFEST + ".tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    path = directory / MANIFEST
    tmp.replace(path)
    fsync_path(directory)
    return path, hashlib.sha256(data).hexdigest()


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] = path.open("a", encoding="utf-8")
        # A torn last line (a crash mid-write) is ended, so that the first record appended now reads.
        with contextlib.suppress(OSError), path.open("rb") as f:
            if f.seek(0, os.SEEK_END) > 0:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    self._file.write("\n")
                    self._file.flush()

    def append(self, record: dict[str, Any], *, sync: bool = False) -> None:
        self._file.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._file.flush()
        if sync:
            os.fsync(self._file.fileno())

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.flush()
            os.fsync(self._file.fileno())
        self._file.close()


def salvage_segment(path: Path, participant: str, start: float) -> dict[str, Any] | None:
    """Remux what can be read of a segment a crash left open into a proper WebM; its journal record, or None.

    The muxer had not written cues or the final cluster; every complete cluster before that is still readable.
    """
    if not path.exists() or path.stat().st_size == 0:
        return None
    tmp = path.with_name(path.name + ".salvage")
    kinds: set[str] = set()
    last_ms = 0
    try:
        with av.open(str(path)) as source:
            output = av.open(str(tmp), "w", format="webm")
            try:
                mapping: dict[int, Stream] = {}
                for stream in source.streams:
                    if stream.type == "video":
                        ctx = stream.codec_context
                        out = output.add_mux_stream("vp8", width=ctx.width, height=ctx.height)  # type: ignore[attr-defined]
                    elif stream.type == "audio":
                        out = output.add_mux_stream("opus", rate=48000)
                    else:
                        continue
                    out.time_base = MS
                    mapping[stream.index] = out
                try:
                    for packet in source.demux():
                        out_stream = mapping.get(packet.stream.index)
                        if out_stream is None or packet.pts is None or packet.size == 0 or packet.time_base is None:
                            continue
                        ms = round(packet.pts * packet.time_base * 1000)
                        copy = av.Packet(bytes(packet))
                        copy.stream = out_stream
                        copy.time_base = MS
                        copy.pts = copy.dts = ms
                        copy.is_keyframe = packet.is_keyframe
                        output.mux(copy)
                        kinds.add(packet.stream.type)
                        last_ms = max(last_ms, ms)
                except (av.FFmpegError, EOFError):
                    pass  # the torn end of the file
            finally:
                output.close()
    except (av.FFmpegError, OSError, ValueError):
        logger.warning("segment %s could not be salvaged", path.name, exc_info=True)
        tmp.unlink(missing_ok=True)
        return None
    if not kinds:
        tmp.unlink(missing_ok=True)
        return None
    fsync_path(tmp)
    tmp.replace(path)
    sha256, size = file_sha256(path)
    return {
        "type": "segment",
        "file": path.name,
        "participant": participant,
        "kinds": sorted(kinds),
        "start": start,
        "end": start + last_ms / 1000,
        "sha256": sha256,
        "bytes": size,
        "salvaged": True,
    }
