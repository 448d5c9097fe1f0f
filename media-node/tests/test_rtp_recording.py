"""Recording on the RTP path: the binary media journal, its remux into WebM segments (depacketizing, loss, reordering,
wraps, SSRC changes, resuming, a torn end), the shared remux worker (several rooms at once, restarted, stopped when
idle), RtpRoomRecorder end to end, and a crashed recorder recovered by the uploader. Media: real VP8 640x480 and Opus
from PyAV, packetized as browsers do (rtp_media.py).
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rtp_media import FPS, Rtp, audio_rtp, call_rtp, decode_counts, video_rtp

from videoatencion_media.journal import JOURNAL, MANIFEST, MEDIA_JOURNAL, Journal, iso, read_journal
from videoatencion_media.media_journal import (
    FLAG_KEYFRAME,
    KIND_AUDIO,
    KIND_CONTROL,
    KIND_VIDEO,
    MAGIC,
    RECORD,
    MediaJournalReader,
    chunk_header,
)
from videoatencion_media.remux import Remux, remux_folder
from videoatencion_media.remux_worker import RemuxWorker, shared_worker, stop_shared_worker, worker_command
from videoatencion_media.rtp_packets import vp8_keyframe_start
from videoatencion_media.rtp_recording import RtpRoomRecorder
from videoatencion_media.uploads import Uploader

SESSION = "20260101T100000000000Z"
T0 = 1_767_261_600.0  # 2026-01-01T10:00:00Z


@pytest.fixture(autouse=True)
def _own_remux_worker() -> Iterator[None]:
    """Each test starts with no shared remux worker and leaves none running."""
    stop_shared_worker()
    yield
    stop_shared_worker()


@pytest.fixture
def no_remux(monkeypatch: pytest.MonkeyPatch) -> None:
    """Recorders that remux nothing (the tests of what the event loop does)."""
    monkeypatch.setattr(RtpRoomRecorder, "_follow_remux", lambda self: None)
    monkeypatch.setattr(RtpRoomRecorder, "_remux_once", lambda self: False)


def remux_processes() -> list[int]:
    """The remux processes this process started (its children running videoatencion_media.remux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and b"videoatencion_media.remux" in command:
            found.append(int(entry.name))
    return found


# ---- a media journal written directly (the format's contract), remuxed in this process ----


def control(index: int, message: dict[str, Any], arrival: float = T0) -> bytes:
    data = json.dumps(message).encode()
    return RECORD.pack(arrival, index, KIND_CONTROL, 0, len(data)) + data


def media(index: int, packets: Iterable[Rtp], start: float = T0) -> list[bytes]:
    out = []
    for p in packets:
        kind = KIND_VIDEO if p.kind == "video" else KIND_AUDIO
        flags = FLAG_KEYFRAME if p.kind == "video" and vp8_keyframe_start(p.data) else 0
        out.append(RECORD.pack(start + p.arrival, index, kind, flags, len(p.data)) + p.data)
    return out


def declare(index: int, pid: str, role: str = "agent") -> bytes:
    return control(index, {"op": "participant", "participant_id": pid, "role": role, "name": pid.upper()})


def media_folder(directory: Path, records: list[bytes], segment_seconds: float = 1.0, per_chunk: int = 40) -> Path:
    """A room folder as a recorder leaves it (room record, media journal in chunks), no segments yet."""
    directory.mkdir(parents=True)
    journal = Journal(directory / JOURNAL)
    journal.append(
        {
            "type": "room",
            "room_id": directory.name,
            "appointment_id": "apt-1",
            "session": SESSION,
            "created_at": iso(T0),
            "segment_seconds": segment_seconds,
        }
    )
    journal.close()
    with (directory / MEDIA_JOURNAL).open("wb") as f:
        f.write(MAGIC)
        for i in range(0, len(records), per_chunk):
            payload = b"".join(records[i : i + per_chunk])
            f.write(chunk_header(payload) + payload)
    return directory


def segments_of(directory: Path) -> list[dict[str, Any]]:
    return [r for r in read_journal(directory / JOURNAL) if r["type"] == "segment"]


def totals(directory: Path, segments: list[dict[str, Any]]) -> dict[str, int]:
    total = {"video": 0, "audio": 0, "errors": 0}
    for segment in segments:
        file = directory / segment["file"]
        assert hashlib.sha256(file.read_bytes()).hexdigest() == segment["sha256"]
        assert file.stat().st_size == segment["bytes"]
        counts = decode_counts(file)
        if "video" in segment["kinds"]:
            assert counts["first_video_keyframe"] is True  # every segment starts at a keyframe
        for key in total:
            total[key] += counts[key]
    return total


def test_remux_cuts_at_keyframes_after_segment_seconds(tmp_path: Path) -> None:
    closed: list[dict[str, Any]] = []
    records = [declare(0, "a-ana"), *media(0, call_rtp(3.0, gop=15))]
    directory = media_folder(tmp_path / "room", records, segment_seconds=1.2)
    stats = remux_folder(directory, on_segment=closed.append)

    segments = segments_of(directory)
    assert [s["file"] for s in segments] == [f"a-ana.{SESSION}.{n:04d}.webm" for n in (1, 2)]
    assert closed == segments
    # Keyframes every 0.5 s: cut at the first one 1.2 s or more into a segment (1.5 s), as RoomRecorder does.
    assert segments[1]["start"] - segments[0]["start"] == pytest.approx(1.5, abs=0.01)
    assert segments[0]["start"] == pytest.approx(T0, abs=0.01)
    assert segments[-1]["end"] == pytest.approx(T0 + 3.0, abs=0.05)
    assert all(s["kinds"] == ["audio", "video"] for s in segments)
    total = totals(directory, segments)
    assert total == {"video": 3 * FPS, "audio": 150, "errors": 0}
    assert stats["frames_dropped"] == 0
    assert stats["packets_lost"] == 0
    participants = [r for r in read_journal(directory / JOURNAL) if r["type"] == "participant"]
    assert [(p["participant_id"], p["role"], p["name"]) for p in participants] == [("a-ana", "agent", "A-ANA")]


def test_a_lost_packet_drops_its_frame_and_video_until_the_next_keyframe(tmp_path: Path) -> None:
    packets = call_rtp(3.0, gop=30)
    lost = next(p for p in packets if p.kind == "video" and p.frame == 40)  # keyframes at frames 0, 30, 60
    directory = media_folder(tmp_path / "room", [declare(0, "a"), *media(0, [p for p in packets if p is not lost])])
    stats = remux_folder(directory)
    total = totals(directory, segments_of(directory))
    assert total["errors"] == 0
    assert total["video"] == 3 * FPS - 20  # frames 40..59 dropped
    assert total["audio"] == 150
    assert stats["packets_lost"] == 1
    assert stats["frames_dropped"] == 20


def test_reordered_and_duplicated_packets_are_put_back_in_order(tmp_path: Path) -> None:
    packets = call_rtp(3.0, gop=30)
    shuffled: list[Rtp] = []
    for i in range(0, len(packets), 4):  # each group of four arrives backwards, and once more
        group = packets[i : i + 4][::-1]
        shuffled.extend(group)
        if i % 40 == 0:
            shuffled.append(group[0])
    directory = media_folder(tmp_path / "room", [declare(0, "a"), *media(0, shuffled)])
    stats = remux_folder(directory)
    segments = segments_of(directory)
    total = totals(directory, segments)
    assert (total["video"], total["errors"]) == (3 * FPS, 0)
    # Every audio frame, but one that comes after the keyframe beginning the next segment yet is older than it
    # (SegmentWriter drops it on both paths: audio never goes back in time).
    assert 150 - (len(segments) - 1) <= total["audio"] <= 150
    assert stats["frames"] == 3 * FPS + 150
    assert stats["packets_lost"] == 0
    assert stats["packets_late"] > 0  # the duplicates


def test_sequence_and_timestamp_wraps(tmp_path: Path) -> None:
    video = video_rtp(3.0, 30, seq0=65_400, ts0=(1 << 32) - 90_000)  # both wrap about a second in
    audio = audio_rtp(3.0, seq0=65_500, ts0=(1 << 32) - 48_000)
    packets = sorted(video + audio, key=lambda p: p.arrival)
    assert {p.sequence for p in packets} >= {65_535, 0}
    directory = media_folder(tmp_path / "room", [declare(0, "a"), *media(0, packets)], segment_seconds=30.0)
    remux_folder(directory)
    (segment,) = segments_of(directory)
    assert segment["end"] - segment["start"] == pytest.approx(3.0, abs=0.05)
    assert totals(directory, [segment]) == {"video": 3 * FPS, "audio": 150, "errors": 0}


def test_a_new_ssrc_is_a_reconnection_and_a_new_segment(tmp_path: Path) -> None:
    first = call_rtp(1.5, gop=30)
    second = sorted(
        video_rtp(1.5, 30, ssrc=0x3333, seq0=20, ts0=123) + audio_rtp(1.5, ssrc=0x4444, seq0=40, ts0=456),
        key=lambda p: p.arrival,
    )
    records = [declare(0, "a"), *media(0, first), *media(0, second, start=T0 + 2.0)]
    directory = media_folder(tmp_path / "room", records, segment_seconds=30.0)
    remux_folder(directory)
    segments = segments_of(directory)
    assert len(segments) == 2
    assert segments[1]["start"] == pytest.approx(T0 + 2.0, abs=0.05)
    for segment in segments:
        assert totals(directory, [segment]) == {"video": 45, "audio": 75, "errors": 0}


def test_new_segment_records_split_and_participants_are_apart(tmp_path: Path) -> None:
    packets = call_rtp(3.0, gop=30)
    half = [p for p in packets if p.arrival < 2.0]  # a keyframe at 2 s
    rest = [p for p in packets if p.arrival >= 2.0]
    records = [
        declare(0, "a"),
        declare(1, "c", "citizen"),
        *media(0, half),
        control(0, {"op": "new_segment"}),
        *media(0, rest),
        *media(1, packets),
        control(0, {"op": "chat", "participant_id": "c", "name": "C", "text": "hola", "at": "x"}),
    ]
    directory = media_folder(tmp_path / "room", records, segment_seconds=30.0)
    remux_folder(directory)
    segments = segments_of(directory)
    assert [s["participant"] for s in segments] == ["a", "a", "c"]
    assert totals(directory, segments[:2]) == {"video": 3 * FPS, "audio": 150, "errors": 0}
    assert totals(directory, segments[2:]) == {"video": 3 * FPS, "audio": 150, "errors": 0}
    chat = [r for r in read_journal(directory / JOURNAL) if r["type"] == "chat"]
    assert [c["text"] for c in chat] == ["hola"]


def test_audio_only_and_video_that_stops(tmp_path: Path) -> None:
    packets = call_rtp(4.0, gop=30)
    records = [
        declare(0, "audio-only"),
        declare(1, "stops"),
        *media(0, [p for p in packets if p.kind == "audio"]),
        *media(1, [p for p in packets if p.kind == "audio" or p.arrival < 1.0]),  # video for a second only
    ]
    directory = media_folder(tmp_path / "room", records, segment_seconds=1.5)
    remux_folder(directory)
    segments = segments_of(directory)
    audio_only = [s for s in segments if s["participant"] == "audio-only"]
    assert all(s["kinds"] == ["audio"] for s in audio_only)
    assert totals(directory, audio_only) == {"video": 0, "audio": 200, "errors": 0}
    stops = [s for s in segments if s["participant"] == "stops"]
    assert stops[0]["kinds"] == ["audio", "video"]
    assert stops[-1]["kinds"] == ["audio"]  # rotated without a keyframe once video was gone
    assert totals(directory, stops) == {"video": 30, "audio": 200, "errors": 0}


def test_a_torn_end_is_tolerated(tmp_path: Path) -> None:
    records = [declare(0, "a"), *media(0, call_rtp(3.0, gop=30))]
    directory = media_folder(tmp_path / "room", records, per_chunk=25)
    path = directory / MEDIA_JOURNAL
    whole = path.read_bytes()
    reader = MediaJournalReader(path)
    count = sum(1 for _ in reader.read())
    reader.close()
    assert count == len(records)
    # The last chunk cut short, then garbage where a crashed writer's page never made it to disk.
    path.write_bytes(whole[:-300] + bytes(200))
    stats = remux_folder(directory)
    assert len(records) - 25 <= stats["records"] < len(records)
    total = totals(directory, segments_of(directory))
    assert total["errors"] == 0
    assert total["video"] >= 3 * FPS - 12
    assert total["audio"] >= 140


def test_remux_resumes_after_the_segments_that_closed(tmp_path: Path) -> None:
    packets = call_rtp(4.0, gop=30)
    records = [declare(0, "a"), control(0, {"op": "event", "event": {"type": "admitted"}, "t": T0}), *media(0, packets)]
    clean = media_folder(tmp_path / "clean", records)
    remux_folder(clean)
    expected = segments_of(clean)
    assert len(expected) == 4

    # A remux that died half way: two segments closed, the third open and partly written.
    directory = media_folder(tmp_path / "room", records)
    died = Remux(directory)
    reader = MediaJournalReader(directory / MEDIA_JOURNAL)
    for n, record in enumerate(reader.read()):
        died.record(record)
        if n > len(records) * 0.6:
            break
    reader.close()
    for rec in died.segments.participants.values():  # what a crash leaves: the open segment part written
        if rec.segment is not None and rec.segment.container is not None:
            rec.segment.container.close()
    died.journal.close()
    first = segments_of(directory)
    assert len(first) == 2
    before = {s["file"]: (directory / s["file"]).read_bytes() for s in first}

    remux_folder(directory)
    segments = segments_of(directory)
    assert [s["file"] for s in segments] == [s["file"] for s in expected]
    assert [(s["start"], s["end"], s["kinds"]) for s in segments] == [
        (s["start"], s["end"], s["kinds"]) for s in expected
    ]
    assert {f: (directory / f).read_bytes() for f in before} == before  # replayed, not rewritten
    assert totals(directory, segments) == {"video": 4 * FPS, "audio": 200, "errors": 0}
    journal = read_journal(directory / JOURNAL)
    assert [r["type"] for r in journal].count("participant") == 1
    assert [r["type"] for r in journal].count("event") == 1
    assert len({r["file"] for r in journal if r["type"] == "segment_open"}) == 4


# ---- RtpRoomRecorder ----


def feed(recorder: RtpRoomRecorder, pid: str, packets: Iterable[Rtp], start: float) -> None:
    for p in packets:
        recorder.write_rtp(pid, p.kind, p.data, start + p.arrival)


@pytest.mark.usefixtures("no_remux")
async def test_write_rtp_does_no_file_io_on_the_calling_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = RtpRoomRecorder(tmp_path, "room-io", "apt-1")
    caller = threading.get_ident()
    io_here: list[str] = []

    def spy(name: str, real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == caller:
                io_here.append(name)
            return real(*args, **kwargs)

        return call

    for module, name in ((builtins, "open"), (io, "open"), (os, "open"), (os, "write"), (os, "writev")):
        monkeypatch.setattr(module, name, spy(name, getattr(module, name)))
    monkeypatch.setattr(os, "fsync", spy("fsync", os.fsync))
    start = time.time()
    recorder.add_participant("a", "agent", "Ana")
    feed(recorder, "a", call_rtp(2.0), start)
    recorder.note({"type": "audio_only", "participant_id": "a", "on": True})
    recorder.chat("a", "Ana", "hola", "x")
    recorder.new_segment("a")
    assert io_here == []
    written = recorder.packets_written
    monkeypatch.undo()
    await asyncio.to_thread(recorder.finish)
    assert recorder.bytes_written > 0
    assert written == len(call_rtp(2.0))


@pytest.mark.usefixtures("no_remux")
async def test_keyframes_asked_at_start_and_after_segment_seconds(tmp_path: Path) -> None:
    recorder = RtpRoomRecorder(tmp_path, "room-kf", "apt-1", segment_seconds=2.0)
    asked: list[tuple[str, float]] = []
    current = 0.0
    recorder.on_keyframe_needed = lambda pid: asked.append((pid, current))
    video = video_rtp(6.0, gop=150)  # keyframes at 0 s and 5 s
    late = [p for p in video if p.frame >= 3]  # joined after the first keyframe: no keyframe until 5 s
    for p in late:
        current = p.arrival
        recorder.write_rtp("v", "video", p.data, T0 + p.arrival)
        await asyncio.sleep(0)  # the request is called soon, on the loop
    assert {pid for pid, _ in asked} == {"v"}
    # Until its first keyframe (5 s), every KEYFRAME_RETRY_SECONDS; then none until segment_seconds after it.
    assert [t for _, t in asked] == pytest.approx([0.1, 2.1, 4.1], abs=0.02)
    await asyncio.to_thread(recorder.finish)


async def wait_for(condition: Any, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.mark.integration
async def test_recorder_end_to_end(tmp_path: Path) -> None:
    closed: list[dict[str, Any]] = []
    recorder = RtpRoomRecorder(tmp_path, "room-1", "apt-1", segment_seconds=1.0, on_segment_closed=closed.append)
    asked: list[str] = []
    recorder.on_keyframe_needed = asked.append
    recorder.add_participant("a-ana", "agent", "Ana")
    recorder.add_participant("c-1", "citizen", "Pere")
    start = time.time()
    feed(recorder, "a-ana", call_rtp(3.0, gop=30), start)
    feed(recorder, "c-1", call_rtp(3.0, gop=30), start)
    recorder.note({"type": "audio_only", "participant_id": "c-1", "on": True})
    recorder.chat("c-1", "Pere", "hola", "2026-01-01T10:00:00Z")
    # The remux follows the media journal: segments close (and could upload) while the call goes on.
    await wait_for(lambda: len(closed) >= 2)
    assert (recorder.directory / MEDIA_JOURNAL).exists()
    path = await asyncio.to_thread(recorder.finish)
    await asyncio.sleep(0)

    manifest = json.loads(path.read_text())
    assert path == recorder.directory / MANIFEST
    assert manifest["status"] == "complete"
    assert (manifest["room_id"], manifest["appointment_id"]) == ("room-1", "apt-1")
    assert {(p["id"], p["role"], p["name"]) for p in manifest["participants"]} == {
        ("a-ana", "agent", "Ana"),
        ("c-1", "citizen", "Pere"),
    }
    assert manifest["chat"] == [{"participant_id": "c-1", "name": "Pere", "text": "hola", "at": "2026-01-01T10:00:00Z"}]
    assert [e["type"] for e in manifest["events"]] == ["audio_only"]
    for pid in ("a-ana", "c-1"):
        segments = [s for s in manifest["segments"] if s["participant"] == pid]
        assert len(segments) == 3
        assert totals(path.parent, segments) == {"video": 3 * FPS, "audio": 150, "errors": 0}
        assert sum(s["duration_seconds"] for s in segments) == pytest.approx(3.0, abs=0.1)
    assert [c["file"] for c in closed if c.get("type") == "segment"] == [s["file"] for s in segments_of(path.parent)]
    assert closed[-1] == {"type": "finished", "room_id": "room-1"}
    assert set(asked) == {"a-ana", "c-1"}
    assert recorder.segments_closed == 6
    assert recorder.remux_stats["frames_dropped"] == 0
    assert not (path.parent / MEDIA_JOURNAL).exists()  # remuxed: not needed any more
    records = read_journal(path.parent / JOURNAL)
    assert records[-1]["type"] == "finished"


@pytest.mark.integration
async def test_two_rooms_are_remuxed_at_once_by_one_worker_process(tmp_path: Path) -> None:
    closed: dict[str, list[dict[str, Any]]] = {"room-a": [], "room-b": []}
    recorders = [
        RtpRoomRecorder(tmp_path, room, "apt-1", segment_seconds=1.0, on_segment_closed=closed[room].append)
        for room in closed
    ]
    start = time.time()
    for recorder, pid in zip(recorders, ("a", "b"), strict=True):
        recorder.add_participant(pid, "agent", pid.upper())
        feed(recorder, pid, call_rtp(3.0, gop=30), start)
    # Both rooms' segments close while their calls go on, remuxed by the one worker process.
    await wait_for(lambda: all(len(c) >= 2 for c in closed.values()))
    worker = shared_worker()
    assert sorted(worker.followed) == sorted(r.directory for r in recorders)
    assert remux_processes() == [worker.pid]
    paths = await asyncio.gather(*(asyncio.to_thread(r.finish) for r in recorders))
    await asyncio.sleep(0)
    assert worker.starts == 1
    assert worker.followed == []

    for recorder, path, pid in zip(recorders, paths, ("a", "b"), strict=True):
        manifest = json.loads(path.read_text())
        assert manifest["status"] == "complete"
        assert manifest["room_id"] == recorder.room_id
        assert manifest["participants"] == [{"id": pid, "role": "agent", "name": pid.upper()}]
        segments = manifest["segments"]
        assert [s["file"] for s in segments] == [f"{pid}.{recorder.session}.{n:04d}.webm" for n in (1, 2, 3)]
        assert totals(path.parent, segments) == {"video": 3 * FPS, "audio": 150, "errors": 0}
        # Each room's segments went to its own recorder's callback, once each, then its end.
        mine = closed[recorder.room_id]
        assert [c["file"] for c in mine[:-1]] == [s["file"] for s in segments]
        assert {(c["room_id"], Path(c["path"]).parent) for c in mine[:-1]} == {(recorder.room_id, path.parent)}
        assert mine[-1] == {"type": "finished", "room_id": recorder.room_id}
        assert recorder.segments_closed == 3
        assert recorder.remux_stats["segments_closed"] == 3
        assert not (path.parent / MEDIA_JOURNAL).exists()


@pytest.mark.integration
async def test_a_remux_worker_that_dies_is_started_again_and_resumes_every_room(tmp_path: Path) -> None:
    closed: dict[str, list[dict[str, Any]]] = {"room-r1": [], "room-r2": []}
    recorders = [
        RtpRoomRecorder(tmp_path, room, "apt-1", segment_seconds=1.0, on_segment_closed=closed[room].append)
        for room in closed
    ]
    packets = call_rtp(4.0, gop=30)
    start = time.time()
    for recorder in recorders:
        feed(recorder, "a", [p for p in packets if p.arrival < 2.2], start)
    await wait_for(lambda: all(len(c) >= 2 for c in closed.values()))
    worker = shared_worker()
    first = worker.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)  # mid-call: both rooms have a segment open
    await wait_for(lambda: worker.pid not in (None, first))
    assert worker.starts == 2
    assert sorted(worker.followed) == sorted(r.directory for r in recorders)
    for recorder in recorders:
        feed(recorder, "a", [p for p in packets if p.arrival >= 2.2], start)
    paths = await asyncio.gather(*(asyncio.to_thread(r.finish) for r in recorders))
    await asyncio.sleep(0)
    assert worker.starts == 2  # resumed by the restarted worker: no one-shot remux was needed
    for recorder, path in zip(recorders, paths, strict=True):
        manifest = json.loads(path.read_text())
        assert manifest["status"] == "complete"
        segments = manifest["segments"]
        assert [s["file"] for s in segments] == [f"a.{recorder.session}.{n:04d}.webm" for n in (1, 2, 3, 4)]
        assert totals(path.parent, segments) == {"video": 4 * FPS, "audio": 200, "errors": 0}
        # The segments closed before the kill were replayed, not announced again.
        announced = [c["file"] for c in closed[recorder.room_id] if c.get("type") == "segment"]
        assert announced == [s["file"] for s in segments]


@pytest.mark.integration
async def test_a_recorder_whose_worker_keeps_dying_remuxes_its_folder_once_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = RemuxWorker([sys.executable, "-c", "pass"])  # exits at once, every time it is started
    monkeypatch.setattr("videoatencion_media.rtp_recording.shared_worker", lambda: broken)
    closed: list[dict[str, Any]] = []
    recorder = RtpRoomRecorder(tmp_path, "room-f", "apt-1", segment_seconds=1.0, on_segment_closed=closed.append)
    feed(recorder, "a", call_rtp(3.0, gop=30), time.time())
    # Started, then started again RESTARTS times, then given up: the folder is not followed any more.
    await wait_for(lambda: broken.starts == 4 and broken.followed == [] and broken.pid is None)
    path = await asyncio.to_thread(recorder.finish)
    await asyncio.sleep(0)
    manifest = json.loads(path.read_text())
    assert manifest["status"] == "complete"
    segments = manifest["segments"]
    assert totals(path.parent, segments) == {"video": 3 * FPS, "audio": 150, "errors": 0}
    assert [c.get("file") for c in closed] == [*(s["file"] for s in segments), None]
    assert recorder.remux_stats["segments_closed"] == len(segments) == 3


@pytest.mark.integration
async def test_the_worker_answers_each_finish_and_stops_when_idle(tmp_path: Path) -> None:
    good = media_folder(tmp_path / "good", [declare(0, "a"), *media(0, call_rtp(3.0, gop=30))])
    bad = tmp_path / "bad"  # no journals: that folder fails, the other goes on
    bad.mkdir()
    worker = RemuxWorker(idle_seconds=0.5)
    seen: list[dict[str, Any]] = []
    assert worker.follow(good, seen.append)
    assert worker.follow(bad, seen.append)
    failed = await asyncio.to_thread(worker.finish, bad, 120.0)
    assert failed is not None
    assert failed["ok"] is False
    answer = await asyncio.to_thread(worker.finish, good, 120.0)
    assert answer is not None
    assert answer["ok"] is True
    segments = segments_of(good)
    assert answer["segments_closed"] == len(segments) == 3
    assert [m["file"] for m in seen] == [s["file"] for s in segments]
    assert {m["folder"] for m in seen} == {str(good)}
    assert worker.finish(good, 10.0) is None  # not followed any more
    pid = worker.pid
    assert pid is not None
    await wait_for(lambda: worker.pid is None)  # nothing to follow: stopped ...
    await wait_for(lambda: not Path(f"/proc/{pid}").exists())  # ... and reaped
    assert worker.starts == 1


@pytest.mark.integration
def test_a_worker_whose_stdin_closes_finishes_every_folder_it_follows(tmp_path: Path) -> None:
    folders = [
        media_folder(tmp_path / f"room-{n}", [declare(0, "a"), *media(0, call_rtp(3.0, gop=30))]) for n in (1, 2)
    ]
    process = subprocess.Popen(worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    follow = b"".join(json.dumps({"follow": str(folder)}).encode() + b"\n" for folder in folders)
    out, _ = process.communicate(follow, timeout=120)  # then its stdin closes: the recorder's process is gone
    assert process.returncode == 0
    lines = [json.loads(line) for line in out.splitlines()]
    finished = {line["finished"]: line for line in lines if "finished" in line}
    assert set(finished) == {str(f) for f in folders}
    for folder in folders:
        assert finished[str(folder)]["ok"] is True
        segments = segments_of(folder)
        assert [line["file"] for line in lines if line.get("folder") == str(folder)] == [s["file"] for s in segments]
        assert totals(folder, segments) == {"video": 3 * FPS, "audio": 150, "errors": 0}


def test_a_torn_journal_line_does_not_swallow_the_next_record(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL
    path.write_text('{"type":"room"}\n{"type":"segm')
    journal = Journal(path)
    journal.append({"type": "segment", "file": "x"})
    journal.close()
    assert read_journal(path) == [{"type": "room"}, {"type": "segment", "file": "x"}]


@pytest.mark.integration
async def test_second_recording_of_a_room_gets_its_own_folder(tmp_path: Path) -> None:
    first = RtpRoomRecorder(tmp_path, "room-5", "apt-5")
    second = RtpRoomRecorder(tmp_path, "room-5", "apt-5")
    assert first.directory != second.directory
    await asyncio.to_thread(first.finish)
    await asyncio.to_thread(second.finish)
    assert json.loads((first.directory / MANIFEST).read_text())["segments"] == []


CRASHING_RECORDER = """
import asyncio, sys, time
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from rtp_media import call_rtp
from videoatencion_media.rtp_recording import RtpRoomRecorder

async def main():
    recorder = RtpRoomRecorder(Path(sys.argv[1]), "room-crash", "apt-1", segment_seconds=1.0)
    recorder.add_participant("c", "citizen", "Pere")
    recorder.chat("c", "Pere", "hi", "2026-01-01T10:00:00Z")
    packets = call_rtp(4.0, gop=30)
    start = time.time()
    print(recorder.directory, flush=True)
    for p in packets:  # in real time, as a call would
        await asyncio.sleep(max(0.0, start + p.arrival - time.time()))
        recorder.write_rtp("c", p.kind, p.data, time.time())
    print("sent", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


@pytest.mark.integration
async def test_a_crashed_recorder_is_remuxed_and_uploaded_by_the_recovery(tmp_path: Path) -> None:
    root = tmp_path / "node"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CRASHING_RECORDER, str(root), str(Path(__file__).parent), stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        directory = Path((await asyncio.wait_for(process.stdout.readline(), 120)).decode().strip())
        sent = await asyncio.wait_for(process.stdout.readline(), 120)
        assert sent.decode().strip() == "sent"
    finally:
        os.kill(process.pid, signal.SIGKILL)  # a crash: no finish, the buffer since the last write is lost
        await process.wait()
    assert (directory / MEDIA_JOURNAL).exists()
    assert not any(r["type"] == "finished" for r in read_journal(directory / JOURNAL))

    completed: list[dict[str, Any]] = []

    async def on_complete(info: dict[str, Any]) -> None:
        completed.append(info)

    uploader = Uploader(root, None, None, lambda: None, on_complete)
    assert await uploader.recover() == [directory]
    (info,) = completed
    assert info["status"] == "partial"
    manifest = json.loads((directory / MANIFEST).read_text())
    assert manifest["status"] == "partial"
    assert manifest["participants"] == [{"id": "c", "role": "citizen", "name": "Pere"}]
    assert manifest["chat"][0]["text"] == "hi"
    segments = manifest["segments"]
    assert [s["file"] for s in segments] == sorted(s["file"] for s in segments)
    total = totals(directory, segments)
    # 4 s were sent: at most about a second is lost.
    assert total["errors"] == 0
    assert total["video"] >= 3 * FPS
    assert total["audio"] >= 150
    assert sum(s["duration_seconds"] for s in segments) >= 3.0
    assert not (directory / MEDIA_JOURNAL).exists()


@pytest.mark.integration
async def test_the_recovery_remuxes_a_torn_media_journal(tmp_path: Path) -> None:
    root = tmp_path / "node"
    records = [declare(0, "a"), control(0, {"op": "chat", "participant_id": "a", "name": "A", "text": "t", "at": "x"})]
    directory = media_folder(root / "room-torn", [*records, *media(0, call_rtp(3.0, gop=30))], per_chunk=30)
    path = directory / MEDIA_JOURNAL
    path.write_bytes(path.read_bytes()[:-500])
    completed: list[dict[str, Any]] = []

    async def on_complete(info: dict[str, Any]) -> None:
        completed.append(info)

    assert await Uploader(root, None, None, lambda: None, on_complete).recover() == [directory]
    assert [c["status"] for c in completed] == ["partial"]
    manifest = json.loads((directory / MANIFEST).read_text())
    assert manifest["chat"] == [{"participant_id": "a", "name": "A", "text": "t", "at": "x"}]
    total = totals(directory, manifest["segments"])
    assert total["errors"] == 0
    assert total["video"] >= 3 * FPS - 15
