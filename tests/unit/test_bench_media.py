"""Self-checks of the media benchmark's pieces that need no node: block timestamps, /proc parsing, audio concealment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bench import glass, procstat
from bench.media import percentile
from bench.media_file import AUDIO_FRAME
from bench.media_stats import audio_stats, vp8_keyframe_size

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", [0, 1, 0xA5A5, 123_456_789, 2**32 - 1])
def test_timestamp_blocks_round_trip_through_pixels(value):
    pixels = glass.render(value)
    assert glass.decode_bits(glass.read_bits(pixels, glass.COLS * glass.BLOCK)) == value


def test_a_wrong_block_fails_the_check():
    bits = glass.encode_bits(987_654_321)
    for flipped in (0, 17, 31, 40, 47):
        damaged = bits.copy()
        damaged[flipped] ^= 1
        assert glass.decode_bits(damaged) is None


def test_latency_is_measured_across_the_wrap():
    sent = glass.stamp(429_496_729.5)  # 0.1 ms units modulo 2^32: the last value before the wrap
    assert sent == 2**32 - 1
    assert glass.stamp(429_496_729.5 + 42.0) == 419
    assert glass.latency_ms(sent, 429_496_729.5 + 42.0) == pytest.approx(42.0)
    assert glass.latency_ms(glass.stamp(1000.0), 1030.5) == pytest.approx(30.5)


@pytest.mark.skipif(shutil.which("node") is None, reason="node (to run the page's JavaScript) is not installed")
def test_the_page_codes_blocks_as_the_python_mirror():
    page = (ROOT / "bench" / "glass_page.html").read_text()
    codec = page[page.index("// codec-begin") : page.index("// codec-end")]
    values = [0, 5, 0xA5A5, 123_456_789, 2**32 - 1]
    script = (
        codec
        + f"const values = {json.dumps(values)};"
        + "const out = values.map(v => ({bits: encodeBits(v), back: decodeBits(encodeBits(v))}));"
        + "out.push({latency: latencyMs(stamp(429496729.5), 429496729.5 + 42)});"
        + "console.log(JSON.stringify(out));"
    )
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=10, check=True)
    answers = json.loads(result.stdout)
    for value, answer in zip(values, answers, strict=False):
        assert answer["bits"] == glass.encode_bits(value)
        assert answer["back"] == value
    assert answers[-1]["latency"] == pytest.approx(42.0)


def test_proc_stat_cpu_counts_from_the_last_parenthesis():
    # A command name with spaces and parentheses must not shift the fields: utime 1500, stime 250.
    stat = "4242 (python (bench) x) S 1 4242 4242 0 -1 4194560 5000 0 0 0 1500 250 3 4 20 0 7 0 100 1000 200"
    assert procstat.parse_stat_cpu_ticks(stat) == 1750


def test_proc_status_rss_in_bytes():
    status = "Name:\tpython\nVmPeak:\t  900000 kB\nVmRSS:\t   51234 kB\nThreads:\t7\n"
    assert procstat.parse_status_rss_bytes(status) == 51234 * 1024
    assert procstat.parse_status_rss_bytes("Name:\tkthreadd\n") == 0


def test_proc_stat_busy_leaves_idle_and_iowait_out():
    text = "cpu  100 5 50 1000 30 7 8 2 0 0\ncpu0 50 2 25 500 15 3 4 1 0 0\n"
    assert procstat.parse_proc_stat_busy_ticks(text) == 100 + 5 + 50 + 7 + 8 + 2


def test_this_process_is_measured():
    assert os.getpid() in procstat.descendants(os.getpid())
    assert procstat.cpu_seconds(os.getpid()) > 0
    assert procstat.rss_bytes(os.getpid()) > 10 * 2**20


def _paced(frames: int, start: float = 100.0, transit: float = 0.01) -> list[tuple[float, int]]:
    return [(start + transit + i * 0.02, i * AUDIO_FRAME) for i in range(frames)]


def test_audio_on_time_conceals_nothing():
    stats = audio_stats(_paced(500), 10.0)
    assert (stats.received, stats.concealed, stats.total) == (500, 0, 500)


def test_audio_holes_are_concealed():
    arrivals = [a for i, a in enumerate(_paced(500)) if i % 50 != 7]  # 2 % loss
    stats = audio_stats(arrivals, 10.0)
    assert stats.missing == 10
    assert stats.concealed == 10
    assert stats.total == 500


def test_an_audio_stall_beyond_the_buffer_is_concealed_once():
    arrivals = _paced(500)
    # The stream stops for 300 ms at frame 200; what was held back then comes in a burst, in order.
    release = arrivals[200][0] + 0.3
    arrivals = [(max(at, release) if i >= 200 else at, pts) for i, (at, pts) in enumerate(arrivals)]
    stats = audio_stats(arrivals, 10.0)
    assert stats.missing == 0
    assert stats.stalled == 12  # 300 ms late, less the 60 ms the buffer held: 240 ms
    assert stats.total == 512
    assert stats.concealed == 12


def test_audio_that_stops_is_concealed_for_the_rest_of_the_window():
    stats = audio_stats(_paced(250), 10.0)
    assert stats.received == 250
    assert stats.total == 498
    assert stats.concealed == 248


def test_a_timestamp_reset_is_not_counted_as_hours_of_loss():
    arrivals = _paced(100) + [(102.01 + i * 0.02, 10_000_000 + i * AUDIO_FRAME) for i in range(100)]
    stats = audio_stats(arrivals, 4.0)
    assert stats.concealed <= 2


def test_vp8_keyframe_header_gives_the_frame_size():
    keyframe = bytes([0x50, 0x2A, 0x00, 0x9D, 0x01, 0x2A]) + (640).to_bytes(2, "little") + (480).to_bytes(2, "little")
    assert vp8_keyframe_size(keyframe) == (640, 480)
    assert vp8_keyframe_size(bytes([0x51]) + keyframe[1:]) is None  # inter frame


def test_nearest_rank_percentile():
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert percentile(list(map(float, range(1, 101))), 0.99) == 99.0
    assert percentile([], 0.5) != percentile([], 0.5)  # nan
