"""Media benchmark: recorded calls through the media node, its two media paths side by side, and glass-to-glass latency.

Load: the benchmark encodes its own media once (``bench/media_file.py``: ~20 s of 640x480@30 VP8 ~1 Mbps with motion
and 48 kHz Opus into a WebM) and RTP-level load clients (``bench/rtp_clients.py``: aiortc for ICE/DTLS/SDP only, the
media pre-packetised once and paced as raw RTP through the node's own ``passthrough`` hooks, NACK/RTX and PLI answered
and sent) replay it, two per call (citizen and agent), both ends of a call in the same client process, the calls
spread over two processes (one per core). Each client counts what it receives from the other through the node.

Systems under test: the node, ``python -m videoatencion_media`` with ``MEDIA_WORKERS=1``, recording on
(``MEDIA_RECORDINGS_DIR`` in a temp dir, no bucket), ``MEDIA_API_URL`` pointing at this process's JWKS server
(``bench/media_tokens.py``) whose ES256 key signs the join tokens; the agent admits the citizen over the events
WebSocket. Its two media paths, one fresh node process per load and path, interleaved (rtp, packets, rtp, …), same
clients and same load:

- ``MEDIA_FORWARDING=rtp``: raw SRTP forwarding below aiortc;
- ``MEDIA_FORWARDING=packets``: aiortc's RTP stack with ``av.Packet`` pass-through (the node before issue 17).

aiortc's stock relay (decode → ``MediaRelay`` → re-encode), the earlier baseline, is gone: at 8 and 16 calls it
needed both cores by itself (it would starve its own clients).

Figures per load and path (``WARMUP`` s of calls, then a ``MEASURE`` s window):

- CPU-s per recorded call-minute: all CPU of the node's process tree (utime + stime of the node and its live
  descendants, plus cutime + cstime: descendants that exited, e.g. remux workers) from just before the first join
  until every room's ``manifest.json`` is on disk (the agents end the calls after the window; the node is stopped
  only then), divided by the recorded call-minutes: the manifests' ``duration_seconds`` summed / 60. Connection set-up
  and the recording's finish are in it, as they are in every real call;
- forwarded packets per CPU-second: RTP datagrams the node sent, counted where they arrive (at the clients, before any
  injected loss; RTX included), over the node tree's CPU in the same window (/metrics has no packet counter);
- received fps: median (and min) over the clients of complete VP8 frames per second (all packets of a frame, from
  its start to its marker bit);
- audio concealment: (missing + late 20 ms frames) / expected, over all clients — see ``media_stats.audio_stats``;
- loop lag p99: the node's ``LoopLagMonitor`` (0.5 s sampler, reports its latest lateness), read from
  ``GET /metrics`` every 0.5 s during the window, 99th percentile of what was read;
- RSS per call: (VmRSS of the node tree at the end of the window - VmRSS before the first call) / calls; beside it
  the same with PSS (``smaps_rollup``), which counts the pages the node's processes share once;
- what the clients used (their processes' CPU), how busy the whole machine was, and how late the clients' pacer sent
  (p99 of frames' lateness against their schedule). A run is **starved** — printed as such, not as figures — when the
  node and the clients together used ≥ 90 % of the cores, or the clients fell behind their pacing (p99 ≥
  ``PACING_BEHIND_MS`` or frames skipped). A machine ≥ 90 % busy with other work is flagged (``!``) beside the
  figures.

A starved or failed run is run once more (``RETRIES``): the machine is shared, and a burst of someone else's work
can starve one run.

Loss: at ``LOSS_CALLS`` calls on the rtp path, a run with ``LOSS`` seeded random loss on both legs (each client drops
RTP before sending and on arrival) against the loss-free run of the same load: the receivers' complete frames, and
the NACKs and retransmissions it took.

Glass-to-glass latency in Chromium, through the node (each path) vs browser to browser: ``bench/glass.py``.

Run: ``python -m bench.media`` (part of ``python -m bench``); ``--help`` for loads, paths, loss and glass options.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import av

from bench import glass, media_file, procstat
from bench.media_servers import METRICS_TOKEN, ROOT, base_env, start_node, stop_server
from bench.media_tokens import TokenIssuer, api_app, serve

LOADS = (1, 4, 8, 16)
PATHS = ("rtp", "packets")
WARMUP = 5.0
MEASURE = 20.0
LAG_POLL = 0.5
READY_TIMEOUT = 60.0
MANIFEST_TIMEOUT = 30.0
CLIENT_PROCESSES = 2
LOSS = 0.02
LOSS_CALLS = 4
LOSS_SEED = 17
RETRIES = 1  # a starved or failed run is run again this many times (the machine is shared)
STARVED_SHARE = 0.9  # of the machine's cores
PACING_BEHIND_MS = 25.0  # p99 lateness of the clients' frames against their schedule

# Goals (issue 17), assessed at TARGET_CALLS on the rtp path.
TARGET_CALLS = 8
TARGET_CPU_PER_RECORDED_CALL_MINUTE = 1.5
TARGET_PACKETS_RATIO = 3.0  # packets path / rtp path, CPU per recorded call-minute
TARGET_FPS = 29.0
TARGET_LAG_P99_MS = 20.0
TARGET_RSS_PER_CALL_MB = 15.0
TARGET_PACKETS_PER_CPU_SECOND = 10_000.0
TARGET_LOSS_FRAMES = 0.95  # complete frames with loss / without


@dataclass
class LoadResult:
    path: str  # "rtp" | "packets"
    calls: int
    loss: float = 0.0
    error: str = ""
    connected: int = 0
    seconds: float = 0.0  # the measured window
    node_cpu_total: float = math.nan  # first join → manifests written
    node_cpu_phases: tuple[float, float, float, float] = (math.nan,) * 4  # connect, warm-up+window, finish, children
    recorded_seconds: float = 0.0  # sum over the manifests
    manifests: int = 0
    processes: int = 0  # the node's tree at the end of the window
    cpu_per_recorded_call_minute: float = math.nan
    packets_forwarded: int = 0  # in the window
    packets_per_cpu_second: float = math.nan
    frames_per_second: float = 0.0  # all clients' complete frames / window
    fps_median: float = math.nan
    fps_min: float = math.nan
    resolution: str = ""
    concealment: float = math.nan
    lag_p99_ms: float = math.nan
    lag_samples: int = 0
    rss_per_call_mb: float = math.nan
    pss_per_call_mb: float = math.nan
    node_cores: float = math.nan
    client_cores: float = math.nan
    machine_cores: float = math.nan
    pacing_p99_ms: float = math.nan
    pacing_skipped: int = 0
    totals: dict[str, int] = field(default_factory=dict)  # summed client counters over the window
    recording: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.path}+{self.loss * 100:g}%loss" if self.loss else self.path

    @property
    def other_cores(self) -> float:
        """What processes other than the node and the load clients used during the window."""
        return max(0.0, self.machine_cores - self.node_cores - self.client_cores)

    @property
    def starved_reasons(self) -> list[str]:
        cores = os.cpu_count() or 1
        reasons = []
        if self.node_cores + self.client_cores >= STARVED_SHARE * cores:
            reasons.append(f"node+clients used {self.node_cores + self.client_cores:.2f} of {cores} cores")
        if self.pacing_p99_ms >= PACING_BEHIND_MS or self.pacing_skipped:
            late = f"p99 {self.pacing_p99_ms:.0f} ms, {self.pacing_skipped} frames skipped"
            reasons.append(f"clients behind their pacing ({late})")
        return reasons

    @property
    def starved(self) -> bool:
        return bool(self.starved_reasons)

    @property
    def busy_machine(self) -> bool:
        """Other work kept the machine ≥ 90 % busy: node and clients were not starved, but may have waited for a core
        (fps and lag worse, CPU-s a little higher than on a quiet machine)."""
        return self.machine_cores >= STARVED_SHARE * (os.cpu_count() or 1)

    @property
    def usable(self) -> bool:
        return not self.error and not self.starved


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation): the smallest value with at least ``fraction`` of them at or below."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class ClientProcess:
    """One ``bench.rtp_clients`` process and its line protocol."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(
        cls, config: dict[str, Any], tmp: Path, log: Path, module: str = "bench.rtp_clients"
    ) -> ClientProcess:
        handle = log.open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            env=base_env(tmp),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=handle,
            limit=2**22,
        )
        handle.close()
        client = cls(process)
        await client.send(config)
        return client

    async def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        await self.process.stdin.drain()

    async def expect(self, event: str, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        while True:
            line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
            if not line:
                raise RuntimeError(f"load clients exited (status {await self.process.wait()}) before {event!r}")
            message: dict[str, Any] = json.loads(line)
            if message.get("event") == event:
                return message

    async def stop(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(Exception):
                await self.send({"cmd": "stop"})
                await self.expect("stopped", 15)
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def poll_lag(http: aiohttp.ClientSession, url: str, samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError, KeyError, ValueError):
            async with http.get(
                url, headers={"Accept": "application/json", "Authorization": f"Bearer {METRICS_TOKEN}"}
            ) as response:
                samples.append(float((await response.json())["loop_lag_ms"]["last"]))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), LAG_POLL)


def source_address(call: int, role: str) -> str:
    """A loopback address per client (127.0.1.1, 127.0.1.2, …): the node's flood limits count offers and WebSockets
    per address, and 16 calls from one address would be over them."""
    index = 2 * call + (role == "agent")
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


def client_configs(
    base_url: str, calls: int, media: Path, issuer: TokenIssuer, tag: str, loss: float
) -> list[dict[str, Any]]:
    """Calls split over up to ``CLIENT_PROCESSES`` client processes, both ends of a call in the same process."""
    processes = min(CLIENT_PROCESSES, calls)
    configs: list[dict[str, Any]] = [
        {"base_url": base_url, "media": str(media), "clients": [], "loss": loss, "seed": LOSS_SEED}
        for _ in range(processes)
    ]
    for call in range(calls):
        tokens = issuer.call_tokens(call, tag)
        for role in ("citizen", "agent"):
            room, token = tokens[role]
            entry = {"call": call, "role": role, "room": room, "token": token, "source": source_address(call, role)}
            configs[call % processes]["clients"].append(entry)
    return configs


async def wait_for_manifests(folder: Path, count: int, timeout: float) -> list[Path]:
    deadline = time.monotonic() + timeout
    while True:
        found = sorted(folder.rglob("manifest.json")) if folder.exists() else []
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


def recorded_seconds(manifests: list[Path]) -> float:
    total = 0.0
    for path in manifests:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            total += float(json.loads(path.read_text())["duration_seconds"])
    return total


COUNTERS = (
    "video_frames",
    "keyframes",
    "frames_abandoned",
    "video_packets_lost",
    "nack_messages_sent",
    "nacked_packets",
    "retransmissions_received",
    "rtx_packets_received",
    "plis_sent",
    "nacks_received",
    "retransmissions_sent",
    "keyframe_requests_received",
    "dropped_out",
    "dropped_in",
    "packets_arrived",
    "packets_sent",
    "unprotect_failures",
    "send_failures",
)


async def measure_load(
    path: str,
    calls: int,
    tmp: Path,
    media: Path,
    issuer: TokenIssuer,
    api_url: str,
    loss: float = 0.0,
    attempt: int = 1,
) -> LoadResult:
    result = LoadResult(path, calls, loss)
    name = f"{path}-{calls}" + (f"-loss{loss:g}" if loss else "") + (f"-try{attempt}" if attempt > 1 else "")
    recordings = tmp / f"recordings-{name}"
    run_tmp = tmp / name
    run_tmp.mkdir()
    try:
        node = await start_node(run_tmp, api_url, recordings=recordings, tag=name, forwarding=path)
    except RuntimeError as error:
        result.error = str(error)
        return result
    clients: list[ClientProcess] = []
    try:
        await asyncio.sleep(1.0)
        rss_idle = procstat.rss_bytes(node.pid)
        pss_idle = procstat.pss_bytes(node.pid)
        cpu_first_join = procstat.cpu_seconds(node.pid, reaped=True)
        own_first_join = procstat.own_cpu_seconds(node.pid)
        configs = client_configs(node.base_url, calls, media, issuer, f"{name}-{int(time.time())}", loss)
        clients = [
            await ClientProcess.start(config, run_tmp, run_tmp / f"clients-{index}.log")
            for index, config in enumerate(configs)
        ]
        readies = await asyncio.gather(*(c.expect("ready", READY_TIMEOUT + 30) for c in clients))
        cpu_ready = procstat.cpu_seconds(node.pid, reaped=True)
        result.connected = sum(int(r["connected"]) for r in readies) // 2
        errors = [e for r in readies for e in r["errors"]]
        if errors:
            result.notes.append(f"{len(errors)} client(s) did not receive video: {errors[0]}")
        await asyncio.sleep(WARMUP)

        stop = asyncio.Event()
        lags: list[float] = []
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            for client in clients:
                await client.send({"cmd": "measure"})
            await asyncio.gather(*(c.expect("measuring", 10) for c in clients))
            started = time.monotonic()
            cpu0 = procstat.cpu_seconds(node.pid, reaped=True)
            clients0 = sum(procstat.cpu_seconds(c.process.pid) for c in clients)
            machine0 = procstat.machine_busy_seconds()
            poller = asyncio.create_task(poll_lag(http, node.base_url + "/metrics", lags, stop))
            await asyncio.sleep(MEASURE)
            for client in clients:
                await client.send({"cmd": "report"})
            elapsed = time.monotonic() - started
            cpu1 = procstat.cpu_seconds(node.pid, reaped=True)
            clients1 = sum(procstat.cpu_seconds(c.process.pid) for c in clients)
            machine1 = procstat.machine_busy_seconds()
            rss_loaded = procstat.rss_bytes(node.pid)
            pss_loaded = procstat.pss_bytes(node.pid)
            result.processes = len(procstat.descendants(node.pid))
            stop.set()
            await poller
            reports = await asyncio.gather(*(c.expect("report", 30) for c in clients))

        # The agents end the calls; the node finishes each room's recording. Its CPU counts until the last manifest.
        await asyncio.gather(*(c.stop() for c in clients), return_exceptions=True)
        manifests = await wait_for_manifests(recordings, calls, MANIFEST_TIMEOUT)
        cpu_done = procstat.cpu_seconds(node.pid, reaped=True)
        own_done = procstat.own_cpu_seconds(node.pid)

        per_client = [c for r in reports for c in r["clients"]]
        fps = [float(c["fps"]) for c in per_client]
        sizes = sorted({c["resolution"] for c in per_client if c["resolution"]})
        expected = sum(int(c["audio_total"]) for c in per_client)
        concealed = sum(int(c["audio_concealed"]) for c in per_client)
        window_cpu = cpu1 - cpu0
        result.seconds = elapsed
        result.node_cpu_total = cpu_done - cpu_first_join
        result.node_cpu_phases = (
            cpu_ready - cpu_first_join,
            cpu1 - cpu_ready,
            cpu_done - cpu1,
            result.node_cpu_total - (own_done - own_first_join),
        )
        result.manifests = len(manifests)
        result.recorded_seconds = recorded_seconds(manifests)
        if result.recorded_seconds > 0:
            result.cpu_per_recorded_call_minute = result.node_cpu_total / (result.recorded_seconds / 60.0)
        if len(manifests) < calls:
            result.notes.append(f"only {len(manifests)} of {calls} manifests within {MANIFEST_TIMEOUT:g} s")
        result.totals = {key: sum(int(c.get(key, 0)) for c in per_client) for key in COUNTERS}
        result.packets_forwarded = result.totals["packets_arrived"]
        result.packets_per_cpu_second = result.packets_forwarded / window_cpu if window_cpu > 0 else math.nan
        client_seconds = statistics.median(float(r["seconds"]) for r in reports)
        result.frames_per_second = result.totals["video_frames"] / client_seconds
        result.fps_median = statistics.median(fps)
        result.fps_min = min(fps)
        result.resolution = "/".join(sizes) or "none"
        result.concealment = concealed / expected if expected else math.nan
        result.lag_p99_ms = percentile(lags, 0.99)
        result.lag_samples = len(lags)
        result.rss_per_call_mb = (rss_loaded - rss_idle) / calls / 2**20
        result.pss_per_call_mb = (pss_loaded - pss_idle) / calls / 2**20
        result.node_cores = window_cpu / elapsed
        result.client_cores = (clients1 - clients0) / elapsed
        result.machine_cores = (machine1 - machine0) / elapsed
        result.pacing_p99_ms = max(float(r["pacing"]["p99_ms"]) for r in reports)
        result.pacing_skipped = sum(int(r["pacing"]["skipped"]) for r in reports)
    except Exception as error:  # one load failing must not hide the others' figures
        result.error = f"{type(error).__name__}: {error}"
        tail = node.log_tail(5)
        if tail:
            result.error += f"\n      node log: {tail}"
    finally:
        await asyncio.gather(*(c.stop() for c in clients), return_exceptions=True)
        await stop_server(node)
    result.recording = describe_recordings(recordings, calls)
    return result


def describe_recordings(folder: Path, calls: int) -> str:
    """What the node left on disk (no bucket: nothing is uploaded): segments, their media time, manifests."""
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
    segments = [p for p in files if p.suffix == ".webm"]
    manifests = [p for p in files if p.name == "manifest.json"]
    if not segments:
        return f"no .webm segments under {folder} ({len(files)} other files)"
    size = sum(p.stat().st_size for p in segments)
    seconds = 0.0
    unreadable = 0
    for segment in segments:
        try:
            with av.open(str(segment)) as container:
                times = [
                    float(packet.pts * packet.time_base)
                    for packet in container.demux()
                    if packet.pts is not None and packet.time_base is not None
                ]
                seconds += max(times) - min(times) if times else 0.0
        except av.FFmpegError:
            unreadable += 1
    return (
        f"{len(segments)} WebM segments ({size / 2**20:.1f} MB, {seconds:.0f} s of media, {unreadable} unreadable), "
        f"{len(manifests)} manifest(s) for {calls} call(s)"
    )


def fmt(value: float, spec: str) -> str:
    return "n/a" if math.isnan(value) else format(value, spec)


def print_table(results: list[LoadResult]) -> None:
    cores = os.cpu_count() or 1
    header = (
        f"{'path':<14} {'calls':>5} {'CPU-s/rec.call-min':>18} {'pkts/CPU-s':>10} {'fps p50':>7} {'fps min':>7} "
        f"{'audio conc.':>11} {'lag p99 ms':>10} {'RSS MB/call':>11} | {'cores: node':>11} {'clients':>7} "
        f"{'machine':>7} {'pacing p99':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        if r.error:
            print(f"{r.label:<14} {r.calls:>5}  could not run: {r.error}")
            continue
        usage = (
            f"| {fmt(r.node_cores, '11.2f')} {fmt(r.client_cores, '7.2f')} {r.machine_cores / cores:>6.0%}"
            f"{'!' if r.busy_machine else ' '}{fmt(r.pacing_p99_ms, '7.0f')} ms"
        )
        if r.starved:
            print(f"{r.label:<14} {r.calls:>5}  {'starved: ' + '; '.join(r.starved_reasons):<94} {usage}")
            continue
        print(
            f"{r.label:<14} {r.calls:>5} {fmt(r.cpu_per_recorded_call_minute, '18.2f')} "
            f"{fmt(r.packets_per_cpu_second, '10.0f')} {fmt(r.fps_median, '7.1f')} {fmt(r.fps_min, '7.1f')} "
            f"{fmt(r.concealment * 100, '10.1f')}% {fmt(r.lag_p99_ms, '10.1f')} {fmt(r.rss_per_call_mb, '11.1f')} "
            f"{usage}"
        )
    print()
    for r in results:
        if r.error:
            continue
        t = r.totals
        extra = [
            f"{r.connected}/{r.calls} calls connected",
            f"{r.recorded_seconds / 60:.1f} recorded call-min in {r.manifests} manifest(s), node "
            f"{r.node_cpu_total:.1f} CPU-s first join → manifests ({r.node_cpu_phases[0]:.1f} connecting, "
            f"{r.node_cpu_phases[1]:.1f} in the calls, {r.node_cpu_phases[2]:.1f} ending and finishing the "
            f"recordings; {r.node_cpu_phases[3]:.1f} of it in child processes)",
            f"{r.packets_forwarded / r.seconds:.0f} pkts/s forwarded",
            f"{r.frames_per_second:.0f} frames/s received in all ({t['keyframes']} keyframes)",
            f"NACKs: clients asked {t['nacked_packets']} ({t['nack_messages_sent']} msgs), got "
            f"{t['retransmissions_received']} back ({t['rtx_packets_received']} RTX); node asked "
            f"{t['nacks_received']}, clients resent {t['retransmissions_sent']}",
            f"PLIs sent {t['plis_sent']}, keyframe requests received {t['keyframe_requests_received']}",
            f"{r.lag_samples} lag samples",
            f"PSS {fmt(r.pss_per_call_mb, '.1f')} MB/call ({r.processes} node processes)",
        ]
        if r.loss:
            extra.append(f"injected drops {t['dropped_out']} out, {t['dropped_in']} in")
        if t.get("unprotect_failures") or t.get("send_failures"):
            extra.append(f"clients: {t['unprotect_failures']} SRTP refused, {t['send_failures']} not sent")
        if r.starved:
            extra.append(
                f"(starved, not figures: {fmt(r.cpu_per_recorded_call_minute, '.2f')} CPU-s/rec.call-min, "
                f"{fmt(r.fps_median, '.1f')} fps, lag p99 {fmt(r.lag_p99_ms, '.1f')} ms)"
            )
        if r.recording:
            extra.append(f"recording: {r.recording}")
        print(f"  {r.label} x {r.calls}: " + "; ".join(extra + r.notes))
    for calls in sorted({r.calls for r in results}):
        rtp = find(results, "rtp", calls)
        packets = find(results, "packets", calls)
        if rtp is not None and packets is not None and rtp.cpu_per_recorded_call_minute > 0:
            ratio = packets.cpu_per_recorded_call_minute / rtp.cpu_per_recorded_call_minute
            print(
                f"  {calls} call(s): packets / rtp CPU per recorded call-minute = {ratio:.1f}x "
                f"(fps {packets.fps_median:.1f} vs {rtp.fps_median:.1f})"
            )


def find(results: list[LoadResult], path: str, calls: int, loss: float = 0.0) -> LoadResult | None:
    return next((r for r in results if (r.path, r.calls, r.loss) == (path, calls, loss) and r.usable), None)


def verdicts(results: list[LoadResult]) -> list[str]:
    loads = sorted({r.calls for r in results if not r.loss})
    if not loads:
        return ["no runs: goals not assessed"]
    at = TARGET_CALLS if TARGET_CALLS in loads else max(loads)

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    lines = []
    if at != TARGET_CALLS:
        lines.append(f"note: the goals are for {TARGET_CALLS} calls; assessed at {at}")
    rtp = find(results, "rtp", at)
    packets = find(results, "packets", at)
    if rtp is None:
        why = next((("starved" if r.starved else "failed") for r in results if (r.path, r.calls) == ("rtp", at)), "")
        lines.append(f"n/a   no usable figures for the rtp path at {at} calls ({why or 'not run'}): goals not assessed")
    else:
        other = packets.cpu_per_recorded_call_minute if packets is not None else math.nan
        lines.append(
            f"{verdict(rtp.cpu_per_recorded_call_minute <= TARGET_CPU_PER_RECORDED_CALL_MINUTE)}  CPU "
            f"{rtp.cpu_per_recorded_call_minute:.2f} CPU-s per recorded call-minute on the rtp path (goal ≤ "
            f"{TARGET_CPU_PER_RECORDED_CALL_MINUTE:g}; packets path {fmt(other, '.2f')})"
        )
        if packets is None:
            lines.append(f"n/a   packets / rtp CPU: no usable packets-path figures at {at} calls")
        else:
            ratio = other / rtp.cpu_per_recorded_call_minute
            lines.append(
                f"{verdict(ratio >= TARGET_PACKETS_RATIO)}  packets / rtp CPU per recorded call-minute = {ratio:.1f}x "
                f"(goal ≥ {TARGET_PACKETS_RATIO:g}x)"
            )

        def also(value: float, spec: str) -> str:
            return f"; packets path {fmt(value, spec)}" if packets is not None else ""

        lines.append(
            f"{verdict(rtp.fps_median >= TARGET_FPS)}  received {rtp.fps_median:.1f} fps median (goal ≥ "
            f"{TARGET_FPS:g}{also(packets.fps_median if packets else math.nan, '.1f')})"
        )
        lines.append(
            f"{verdict(rtp.lag_p99_ms < TARGET_LAG_P99_MS)}  loop lag p99 {rtp.lag_p99_ms:.1f} ms (goal < "
            f"{TARGET_LAG_P99_MS:g} ms{also(packets.lag_p99_ms if packets else math.nan, '.1f')})"
        )
        lines.append(
            f"{verdict(rtp.rss_per_call_mb <= TARGET_RSS_PER_CALL_MB)}  RSS {rtp.rss_per_call_mb:.1f} MB per call "
            f"(goal ≤ {TARGET_RSS_PER_CALL_MB:g} MB{also(packets.rss_per_call_mb if packets else math.nan, '.1f')})"
        )
        rate = packets.packets_per_cpu_second if packets else math.nan
        lines.append(
            f"{verdict(rtp.packets_per_cpu_second >= TARGET_PACKETS_PER_CPU_SECOND)}  "
            f"{rtp.packets_per_cpu_second:,.0f} forwarded packets per CPU-second (goal ≥ "
            f"{TARGET_PACKETS_PER_CPU_SECOND:,.0f}{also(rate, ',.0f')})"
        )
    lines += loss_verdict(results)
    starved = [f"{r.label} x {r.calls}" for r in results if not r.error and r.starved]
    if starved:
        lines.append(
            f"      starved runs (the machine's {os.cpu_count()} cores could not carry node and clients, or the "
            f"clients fell behind): {', '.join(starved)}"
        )
    return lines


def loss_verdict(results: list[LoadResult]) -> list[str]:
    lossy = next((r for r in results if r.loss and r.path == "rtp"), None)
    if lossy is None:
        return []
    clean = find(results, "rtp", lossy.calls)
    if lossy.error or clean is None:
        return [f"n/a   loss: no usable loss-free and {lossy.loss:.0%}-loss runs at {lossy.calls} calls to compare"]
    ratio = lossy.frames_per_second / clean.frames_per_second if clean.frames_per_second else math.nan
    t = lossy.totals
    note = " (the loss run was starved)" if lossy.starved else ""
    return [
        f"{'PASS' if ratio >= TARGET_LOSS_FRAMES else 'MISS'}  with {lossy.loss:.0%} loss on both legs at "
        f"{lossy.calls} calls (rtp): {ratio:.1%} of the loss-free complete frames ({lossy.frames_per_second:.0f} vs "
        f"{clean.frames_per_second:.0f} frames/s; goal ≥ {TARGET_LOSS_FRAMES:.0%}){note}; clients asked for "
        f"{t['nacked_packets']} packets and got {t['retransmissions_received']} back, the node asked for "
        f"{t['nacks_received']} and got {t['retransmissions_sent']} resent; {t['plis_sent']} PLIs; fps p50 "
        f"{lossy.fps_median:.1f}, audio concealment {lossy.concealment:.1%}"
    ]


@contextlib.asynccontextmanager
async def api(issuer: TokenIssuer) -> AsyncIterator[str]:
    async with serve(api_app(issuer)) as url:
        yield url


async def run(
    loads: tuple[int, ...] = LOADS,
    paths: tuple[str, ...] = PATHS,
    g2g: bool = True,
    loss: float = LOSS,
    loss_calls: int = LOSS_CALLS,
    glass_paths: tuple[str, ...] = PATHS,
    retries: int = RETRIES,
) -> None:
    started = time.monotonic()
    print(f"Media: recorded calls through the node, MEDIA_FORWARDING={' vs '.join(paths)}, RTP-level load clients")
    print(
        f"  machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
        f"{WARMUP:g} s warm-up, {MEASURE:g} s measured per load and path"
    )
    with tempfile.TemporaryDirectory(prefix="bench-media-") as name:
        tmp = Path(name)
        t0 = time.monotonic()
        media = media_file.generate(tmp / "media.webm")
        loaded = media_file.load(media)
        bitrate = sum(len(p.data) for p in loaded.video) * 8 / loaded.duration / 1000
        print(
            f"  media: {loaded.width}x{loaded.height} VP8 {len(loaded.video) / loaded.duration:.0f} fps "
            f"{bitrate:.0f} kbps + Opus 48 kHz, {loaded.duration:.1f} s, encoded in {time.monotonic() - t0:.1f} s"
        )
        print(flush=True)
        issuer = TokenIssuer()
        results: list[LoadResult] = []

        async def one(path: str, calls: int, with_loss: float = 0.0) -> None:
            for attempt in range(1, retries + 2):
                result = await measure_load(path, calls, tmp, media, issuer, api_url, with_loss, attempt)
                state = "failed" if result.error else ("starved" if result.starved else "done")
                print(f"  … {result.label} x {calls} {state} ({time.monotonic() - started:.0f} s)", flush=True)
                if result.usable:
                    break
            if attempt > 1:
                result.notes.append(f"try {attempt} (the earlier ones failed or were starved)")
            results.append(result)

        async with api(issuer) as api_url:
            for calls in loads:
                for path in paths:
                    await one(path, calls)
                if loss > 0 and calls == loss_calls and "rtp" in paths:
                    await one("rtp", calls, loss)
            if loss > 0 and loss_calls not in loads and "rtp" in paths:
                await one("rtp", loss_calls)
                await one("rtp", loss_calls, loss)
            print()
            print_table(results)
            print()
            print(
                "  CPU-s/rec.call-min: all CPU of the node's process tree (exited children too) from the first join "
                "until every manifest was written, / recorded call-minutes (manifests' durations). pkts/CPU-s: RTP "
                "packets the node sent (counted on arrival at the clients, RTX included) / node CPU, over the window. "
                "fps: complete VP8 frames per second each client received (median, min). Audio concealment: share of "
                "the 20 ms slots a player with a 60 ms buffer would have concealed, over all clients. Lag: the node's "
                f"LoopLagMonitor, read every {LAG_POLL:g} s. RSS: node tree growth from idle / calls. cores: CPU the "
                f"node and the load clients used during the window; machine: how busy all {os.cpu_count()} cores "
                f"were (anyone's work; ! = ≥ {STARVED_SHARE:.0%}); pacing p99: how late the clients sent their "
                f"frames. A starved run (node + clients ≥ {STARVED_SHARE:.0%} of the cores, or clients behind their "
                "pacing) has no figures."
            )
            print()
            for line in verdicts(results):
                print("  " + line)
            print(flush=True)
            if g2g:
                await glass.run(tmp, issuer, api_url, glass_paths)
    print(f"  media benchmark took {time.monotonic() - started:.0f} s")


def _paths(text: str) -> tuple[str, ...]:
    paths = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [p for p in paths if p not in PATHS]
    if unknown or not paths:
        raise argparse.ArgumentTypeError(f"paths are {', '.join(PATHS)}; got {text!r}")
    return paths


def _loads(text: str) -> tuple[int, ...]:
    try:
        loads = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    if not loads or min(loads) < 1:
        raise argparse.ArgumentTypeError(f"loads are positive call counts, e.g. 1,4,8; got {text!r}")
    return loads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.media", description="Media node benchmark")
    parser.add_argument("--loads", type=_loads, default=LOADS, help="concurrent calls per step (default 1,4,8,16)")
    parser.add_argument(
        "--paths", type=_paths, default=PATHS, help="MEDIA_FORWARDING values to compare (default rtp,packets)"
    )
    parser.add_argument(
        "--loss", type=float, default=LOSS, help=f"loss of the loss run on both legs (default {LOSS:g}; 0: no loss run)"
    )
    parser.add_argument(
        "--loss-calls", type=int, default=LOSS_CALLS, help=f"calls of the loss run (default {LOSS_CALLS})"
    )
    parser.add_argument("--no-loss", action="store_true", help="skip the loss run")
    parser.add_argument(
        "--retries", type=int, default=RETRIES, help=f"runs again a starved or failed run (default {RETRIES})"
    )
    parser.add_argument("--no-g2g", action="store_true", help="skip the glass-to-glass latency in Chromium")
    parser.add_argument(
        "--g2g-paths", type=_paths, default=PATHS, help="node paths the glass-to-glass part runs (default rtp,packets)"
    )
    args = parser.parse_args([] if argv is None else argv)  # under ``python -m bench``: the defaults
    asyncio.run(
        run(
            args.loads,
            args.paths,
            g2g=not args.no_g2g,
            loss=0.0 if args.no_loss else args.loss,
            loss_calls=args.loss_calls,
            glass_paths=args.g2g_paths,
            retries=max(0, args.retries),
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
