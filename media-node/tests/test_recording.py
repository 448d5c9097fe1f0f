"""Recording by remuxing: WebM segments that decode, rotation at keyframes, journal, manifest hashes, crash salvage."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import av
import pytest
from media import FPS, packets

from videoatencion_media.journal import JOURNAL, MANIFEST, manifest_from_journal, read_journal, salvage_segment
from videoatencion_media.recording import RoomRecorder


def decode_counts(path: Path) -> dict[str, Any]:
    """Decoded frames per kind and the file's duration (from the last decoded frame's time)."""
    counts = {"video": 0, "audio": 0}
    end = 0.0
    errors = 0
    with av.open(str(path)) as container:
        for stream_kind in ("video", "audio"):
            streams = [s for s in container.streams if s.type == stream_kind]
            if not streams:
                continue
            container.seek(0)
            for packet in container.demux(streams[0]):
                try:
                    for frame in packet.decode():
                        counts[stream_kind] += 1
                        time = getattr(frame, "time", None)
                        if time is not None:
                            end = max(end, time)
                except av.FFmpegError:
                    errors += 1
    return {**counts, "end": end, "errors": errors}


def feed(recorder: RoomRecorder, pid: str, seconds: float, gop: int = FPS) -> None:
    for kind, packet in packets(seconds, gop):
        recorder.write(pid, kind, packet)


async def test_segments_decode_and_manifest_matches(tmp_path: Path) -> None:
    closed: list[dict[str, Any]] = []
    recorder = RoomRecorder(tmp_path, "room-1", "apt-1", segment_seconds=0.9, on_segment_closed=closed.append)
    wanted: list[str] = []
    recorder.on_keyframe_needed = wanted.append
    recorder.add_participant("a-ana", "agent", "Ana")
    recorder.add_participant("c-1", "citizen", "Pere")
    feed(recorder, "a-ana", 3.0)
    feed(recorder, "c-1", 3.0)
    recorder.note({"type": "audio_only", "participant_id": "c-1", "on": True})
    recorder.chat("c-1", "Pere", "hola", "2026-01-01T10:00:00Z")
    path = await asyncio.to_thread(recorder.finish)
    await asyncio.sleep(0)  # callbacks scheduled on the loop

    manifest = json.loads(path.read_text())
    assert manifest["room_id"] == "room-1"
    assert manifest["appointment_id"] == "apt-1"
    assert manifest["status"] == "complete"
    assert {(p["id"], p["role"], p["name"]) for p in manifest["participants"]} == {
        ("a-ana", "agent", "Ana"),
        ("c-1", "citizen", "Pere"),
    }
    assert manifest["chat"] == [{"participant_id": "c-1", "name": "Pere", "text": "hola", "at": "2026-01-01T10:00:00Z"}]
    assert any(e["type"] == "audio_only" for e in manifest["events"])
    # Rotation at keyframes (one a second) after 1 s: about three segments each.
    for pid in ("a-ana", "c-1"):
        segments = [s for s in manifest["segments"] if s["participant"] == pid]
        assert 2 <= len(segments) <= 4, segments
        total = {"video": 0, "audio": 0}
        duration = 0.0
        for segment in segments:
            file = path.parent / segment["file"]
            assert hashlib.sha256(file.read_bytes()).hexdigest() == segment["sha256"]
            assert file.stat().st_size == segment["bytes"]
            assert segment["kinds"] == ["audio", "video"]
            counts = decode_counts(file)
            assert counts["errors"] == 0
            total["video"] += counts["video"]
            total["audio"] += counts["audio"]
            duration += segment["duration_seconds"]
        assert total["video"] >= 85  # 90 frames sent (3 s at 30 fps)
        assert total["audio"] >= 140  # 150 frames sent (3 s of 20 ms)
        assert 2.6 <= duration <= 3.4
    assert len([c for c in closed if c.get("type") == "segment"]) == len(manifest["segments"])
    assert closed[-1] == {"type": "finished", "room_id": "room-1"}
    assert set(wanted) == {"a-ana", "c-1"}  # asked for the rotation keyframes
    # Manifest == what the journal says.
    records = read_journal(path.parent / JOURNAL)
    assert manifest_from_journal(records, "complete")["segments"] == manifest["segments"]


async def test_waits_for_keyframe_and_copies_packets(tmp_path: Path) -> None:
    recorder = RoomRecorder(tmp_path, "room-2", "apt-2", segment_seconds=30.0)
    items = packets(2.0)
    first_key = next(i for i, (k, p) in enumerate(items) if k == "video" and p.is_keyframe)
    # Delta frames before any keyframe are dropped (no frame size, not decodable).
    late_start = [(k, p) for k, p in items[first_key + 1 :]]
    originals = [bytes(p) for _, p in late_start]
    for kind, packet in late_start:
        recorder.write("a", kind, packet)
    # The caller's packets are untouched (senders share them).
    assert [bytes(p) for _, p in late_start] == originals
    path = await asyncio.to_thread(recorder.finish)
    manifest = json.loads(path.read_text())
    (segment,) = manifest["segments"]
    counts = decode_counts(path.parent / segment["file"])
    assert counts["errors"] == 0
    assert counts["video"] >= 25  # from the second keyframe (1 s in) on
    assert recorder.packets_dropped > 0


async def test_audio_only_participant_gets_audio_segment(tmp_path: Path) -> None:
    recorder = RoomRecorder(tmp_path, "room-3", "apt-3", segment_seconds=30.0)
    for kind, packet in packets(3.0):
        if kind == "audio":
            recorder.write("c", kind, packet)
    path = await asyncio.to_thread(recorder.finish)
    (segment,) = json.loads(path.read_text())["segments"]
    assert segment["kinds"] == ["audio"]
    counts = decode_counts(path.parent / segment["file"])
    assert counts["audio"] >= 140
    assert counts["video"] == 0


async def test_new_segment_on_reconnection(tmp_path: Path) -> None:
    recorder = RoomRecorder(tmp_path, "room-4", "apt-4", segment_seconds=30.0)
    feed(recorder, "a", 1.5)
    recorder.new_segment("a")
    feed(recorder, "a", 1.5)  # a new peer connection: its timeline starts at 0 again
    path = await asyncio.to_thread(recorder.finish)
    segments = json.loads(path.read_text())["segments"]
    assert len(segments) == 2
    for segment in segments:
        counts = decode_counts(path.parent / segment["file"])
        assert counts["errors"] == 0
        assert counts["video"] >= 40


async def test_second_recording_of_a_room_gets_its_own_folder(tmp_path: Path) -> None:
    first = RoomRecorder(tmp_path, "room-5", "apt-5")
    second = RoomRecorder(tmp_path, "room-5", "apt-5")
    assert first.directory != second.directory
    await asyncio.to_thread(first.finish)
    await asyncio.to_thread(second.finish)
    third = RoomRecorder(tmp_path, "room-5", "apt-5")
    assert third.directory not in (first.directory, second.directory) or third.directory == second.directory
    await asyncio.to_thread(third.finish)
    assert (third.directory / MANIFEST).exists()


async def test_crash_leaves_closed_segments_and_a_salvageable_open_one(tmp_path: Path) -> None:
    closed = asyncio.Event()
    live = tmp_path / "live"
    recorder = RoomRecorder(live, "room-6", "apt-6", segment_seconds=1.0, on_segment_closed=lambda _: closed.set())
    feed(recorder, "a", 4.0, gop=60)  # keyframes at 0 s and 2 s: one closed segment, one open with 2 s
    await asyncio.wait_for(closed.wait(), 5)
    await asyncio.sleep(0.2)  # the open segment gets some clusters on disk
    # What a crash leaves: copy the folder as it is now (the open segment has no cues and no final cluster).
    crashed = tmp_path / "crashed" / "room-6"
    await asyncio.to_thread(shutil.copytree, recorder.directory, crashed)
    await asyncio.to_thread(recorder.finish)

    records = read_journal(crashed / JOURNAL)
    assert not any(r["type"] == "finished" for r in records)
    closed_files = {r["file"] for r in records if r["type"] == "segment"}
    open_files = [r for r in records if r["type"] == "segment_open" and r["file"] not in closed_files]
    assert len(closed_files) == 1
    assert len(open_files) == 1
    # 1 s clusters are flushed as they complete: the torn open segment still yields its complete clusters.
    salvaged = salvage_segment(crashed / open_files[0]["file"], "a", open_files[0]["start"])
    assert salvaged is not None
    assert salvaged["salvaged"] is True
    assert 0.9 <= salvaged["end"] - salvaged["start"] <= 2.1
    assert hashlib.sha256((crashed / salvaged["file"]).read_bytes()).hexdigest() == salvaged["sha256"]
    counts = decode_counts(crashed / salvaged["file"])
    assert counts["errors"] == 0
    assert counts["video"] >= 25


def test_manifest_audio_only_intervals() -> None:
    records: list[dict[str, Any]] = [
        {"type": "room", "room_id": "r", "appointment_id": "x", "created_at": "t"},
        {"type": "participant", "participant_id": "c", "role": "citizen", "name": "C"},
        {"type": "event", "event": {"type": "audio_only", "participant_id": "c", "on": True}, "t": 105.0},
        {"type": "event", "event": {"type": "audio_only", "participant_id": "c", "on": False}, "t": 112.0},
        *(
            {
                "type": "segment",
                "file": f"c.{n}.webm",
                "participant": "c",
                "kinds": ["audio", "video"],
                "start": 100.0 + 10 * n,
                "end": 110.0 + 10 * n,
                "sha256": "0" * 64,
                "bytes": 1,
            }
            for n in range(3)
        ),
    ]
    manifest = manifest_from_journal(records, "partial")
    assert manifest["status"] == "partial"
    assert manifest["duration_seconds"] == pytest.approx(30.0)
    intervals = [len(s["audio_only"]) for s in manifest["segments"]]
    assert intervals == [1, 1, 0]


async def test_packets_reach_the_writer_in_batches_and_in_order(tmp_path: Path) -> None:
    recorder = RoomRecorder(tmp_path, "room-1", "apt-1")
    handled: list[tuple[str, int]] = []
    handle = recorder._handle

    def spy(message: tuple[Any, ...]) -> None:
        handled.append((message[0], len(message[1]) if message[0] == "packets" else 0))
        handle(message)

    recorder._handle = spy  # type: ignore[method-assign]
    batch = list(packets(0.5, FPS))
    for kind, packet in batch[:10]:
        recorder.write("a", kind, packet)
    recorder.new_segment("a")  # flushes the packets written before it, in order
    for kind, packet in batch[10:]:
        recorder.write("a", kind, packet)
    await asyncio.sleep(0.3)  # the rest follow within WRITE_BATCH_SECONDS, as one batch
    await asyncio.to_thread(recorder.finish)
    assert handled[:3] == [("packets", 10), ("new_segment", 0), ("packets", len(batch) - 10)]
