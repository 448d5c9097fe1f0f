"""Media benchmark: recorded calls through the media node vs aiortc's stock relay, and glass-to-glass latency.

Load: the benchmark encodes its own media once (``bench/media_file.py``: ~20 s of 640x480@30 VP8 with motion and 48 kHz
Opus into a WebM) and aiortc load clients (``bench/media_clients.py``, in their own processes) replay the encoded
packets without re-encoding, two per call (citizen and agent), each counting what it receives from the other.

Systems under test, one fresh server process per load, same clients and same load, interleaved:

- the node: ``python -m videoatencion_media`` with ``MEDIA_WORKERS=1``, recording on (``MEDIA_RECORDINGS_DIR`` in a
  temp dir, no bucket), ``MEDIA_API_URL`` pointing at this process's JWKS server (``bench/media_tokens.py``) whose
  ES256 key signs the join tokens; the agent admits the citizen over the events WebSocket;
- the baseline: ``python -m bench.stock_relay`` — decode → ``MediaRelay`` → re-encode, no recording.

Figures per load, over ``MEASURE`` seconds after ``WARMUP`` seconds of calls:

- CPU-s per call-minute: utime + stime of the server process and its children (/proc/<pid>/stat), over the window,
  divided by calls x minutes;
- received fps: median over the clients of complete video frames per second (aiortc's jitter buffer output; one
  stream per client process is also decoded in full as a check);
- audio concealment: (missing + late 20 ms frames) / expected, over all clients — see ``media_clients.audio_stats``;
- loop lag p99: both servers run the node's ``LoopLagMonitor`` (0.5 s sampler, reports its latest lateness); the
  benchmark reads ``GET /metrics`` every 0.5 s during the window and takes the 99th percentile of what it read;
- RSS per call: (VmRSS of the server tree at the end of the window - VmRSS before the first call) / calls.

This machine has 2 cores and other work may run on it: the table also prints what the load clients used and how busy
the machine was, so a starved run can be told from a slow server.

Glass-to-glass latency in Chromium: ``bench/glass.py``.

Run: ``python -m bench.media`` (part of ``python -m bench``).
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
from bench.media_servers import METRICS_TOKEN, ROOT, Server, base_env, start_node, start_stock, stop_server
from bench.media_tokens import TokenIssuer, api_app, serve

LOADS = (1, 4, 8)
WARMUP = 5.0
MEASURE = 20.0
LAG_POLL = 0.5
READY_TIMEOUT = 60.0

# Targets at 8 calls (issue 5, "Benchmark").
TARGET_CPU_PER_CALL_MINUTE = 4.0
TARGET_STOCK_RATIO = 6.0
TARGET_FPS = 29.0
TARGET_LAG_P99_MS = 20.0
TARGET_RSS_PER_CALL_MB = 25.0


@dataclass
class LoadResult:
    system: str  # "node" | "stock"
    calls: int
    error: str = ""
    connected: int = 0
    seconds: float = 0.0
    cpu_per_call_minute: float = math.nan
    fps_median: float = math.nan
    fps_min: float = math.nan
    resolution: str = ""
    concealment: float = math.nan
    lag_p99_ms: float = math.nan
    lag_samples: int = 0
    rss_per_call_mb: float = math.nan
    server_cores: float = math.nan
    client_cores: float = math.nan
    machine_cores: float = math.nan

    @property
    def other_cores(self) -> float:
        """What processes other than the server and the load clients used during the window."""
        return max(0.0, self.machine_cores - self.server_cores - self.client_cores)

    @property
    def saturated(self) -> bool:
        return self.machine_cores >= 0.9 * (os.cpu_count() or 1)

    decode_check: str = ""
    packets: int = 0  # RTP packets the clients sent plus those they received: what the server read plus what it sent
    recording: str = ""
    notes: list[str] = field(default_factory=list)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation): the smallest value with at least ``fraction`` of them at or below."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class ClientProcess:
    """One ``bench.media_clients`` process and its line protocol."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, config: dict[str, Any], tmp: Path, log: Path) -> ClientProcess:
        handle = log.open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.media_clients",
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


def client_configs(system: str, server: Server, calls: int, media: Path, issuer: TokenIssuer) -> list[dict[str, Any]]:
    """Calls split over up to two client processes (one per core), both ends of a call in the same process."""
    processes = min(2, calls)
    configs: list[dict[str, Any]] = [
        {
            "base_url": server.base_url,
            "mode": "node" if system == "node" else "stock",
            "media": str(media),
            "clients": [],
        }
        for _ in range(processes)
    ]
    tag = f"{system}{calls}-{int(time.time())}"
    for call in range(calls):
        tokens = issuer.call_tokens(call, tag)
        for role in ("citizen", "agent"):
            room, token = tokens[role]
            entry = {"call": call, "role": role, "room": room, "token": token if system == "node" else None}
            configs[call % processes]["clients"].append(entry)
    return configs


async def measure_load(
    system: str, calls: int, tmp: Path, media: Path, issuer: TokenIssuer, api_url: str
) -> LoadResult:
    result = LoadResult(system, calls)
    recordings = tmp / f"recordings-{calls}"
    run_tmp = tmp / f"{system}-{calls}"
    run_tmp.mkdir()
    try:
        if system == "node":
            server = await start_node(run_tmp, api_url, recordings=recordings, tag=f"node-{calls}")
        else:
            server = await start_stock(run_tmp, tag=f"stock-{calls}")
    except RuntimeError as error:
        result.error = str(error)
        return result
    clients: list[ClientProcess] = []
    try:
        await asyncio.sleep(1.0)
        rss_idle = procstat.rss_bytes(server.pid)
        configs = client_configs(system, server, calls, media, issuer)
        clients = [
            await ClientProcess.start(config, run_tmp, run_tmp / f"clients-{index}.log")
            for index, config in enumerate(configs)
        ]
        readies = await asyncio.gather(*(c.expect("ready", READY_TIMEOUT + 30) for c in clients))
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
            cpu0 = procstat.cpu_seconds(server.pid)
            clients0 = sum(procstat.cpu_seconds(c.process.pid) for c in clients)
            machine0 = procstat.machine_busy_seconds()
            poller = asyncio.create_task(poll_lag(http, server.base_url + "/metrics", lags, stop))
            await asyncio.sleep(MEASURE)
            for client in clients:
                await client.send({"cmd": "report"})
            elapsed = time.monotonic() - started
            cpu1 = procstat.cpu_seconds(server.pid)
            clients1 = sum(procstat.cpu_seconds(c.process.pid) for c in clients)
            machine1 = procstat.machine_busy_seconds()
            rss_loaded = procstat.rss_bytes(server.pid)
            stop.set()
            await poller
            reports = await asyncio.gather(*(c.expect("report", 30) for c in clients))

        per_client = [c for r in reports for c in r["clients"]]
        seconds = statistics.median(float(r["seconds"]) for r in reports)
        fps = [float(c["fps"]) for c in per_client]
        sizes = sorted({c["resolution"] for c in per_client if c["resolution"]})
        expected = sum(int(c["audio_total"]) for c in per_client)
        concealed = sum(int(c["audio_concealed"]) for c in per_client)
        decoded = sum(int(r["decode_check"]["decoded"]) for r in reports)
        decode_errors = sum(int(r["decode_check"]["errors"]) for r in reports)
        result.seconds = elapsed
        result.cpu_per_call_minute = (cpu1 - cpu0) / (calls * elapsed / 60.0)
        result.fps_median = statistics.median(fps)
        result.fps_min = min(fps)
        result.resolution = "/".join(sizes) or "none"
        result.concealment = concealed / expected if expected else math.nan
        result.lag_p99_ms = percentile(lags, 0.99)
        result.lag_samples = len(lags)
        result.rss_per_call_mb = (rss_loaded - rss_idle) / calls / 2**20
        result.server_cores = (cpu1 - cpu0) / elapsed
        result.client_cores = (clients1 - clients0) / elapsed
        result.machine_cores = (machine1 - machine0) / elapsed
        result.packets = sum(int(c["packets_sent"]) + int(c["packets_received"]) for c in per_client)
        result.decode_check = f"{decoded / seconds / len(reports):.1f} fps decoded, {decode_errors} errors"
    except Exception as error:  # one load failing must not hide the others' figures
        result.error = f"{type(error).__name__}: {error}"
        tail = server.log_tail(5)
        if tail:
            result.error += f"\n      server log: {tail}"
    finally:
        await asyncio.gather(*(c.stop() for c in clients), return_exceptions=True)
        await stop_server(server)
    if system == "node":
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
    header = (
        f"{'system':<6} {'calls':>5} {'CPU-s/call-min':>14} {'fps p50':>7} {'fps min':>7} {'audio conc.':>11} "
        f"{'lag p99 ms':>10} {'RSS MB/call':>11} | {'cores: server':>13} {'clients':>7} {'others':>6}  resolution"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        if r.error:
            print(f"{r.system:<6} {r.calls:>5}  could not run: {r.error}")
            continue
        print(
            f"{r.system:<6} {r.calls:>5} {fmt(r.cpu_per_call_minute, '14.2f')} {fmt(r.fps_median, '7.1f')} "
            f"{fmt(r.fps_min, '7.1f')} {fmt(r.concealment * 100, '10.1f')}% {fmt(r.lag_p99_ms, '10.1f')} "
            f"{fmt(r.rss_per_call_mb, '11.1f')} | {fmt(r.server_cores, '13.2f')} {fmt(r.client_cores, '7.2f')} "
            f"{fmt(r.other_cores, '6.2f')}  {r.resolution}{'  (machine saturated)' if r.saturated else ''}"
        )
    print()
    for r in results:
        if r.error:
            continue
        extra = [f"{r.connected}/{r.calls} calls connected", f"{r.lag_samples} lag samples", r.decode_check]
        if r.packets:
            per_packet = r.server_cores * r.seconds / r.packets * 1e6
            client_per_packet = r.client_cores * r.seconds / r.packets * 1e6
            extra.append(
                f"{r.packets / r.seconds:.0f} RTP packets/s through the server, {per_packet:.0f} µs of server CPU per "
                f"packet in or out (clients: {client_per_packet:.0f} µs)"
            )
        if r.recording:
            extra.append(f"recording: {r.recording}")
        print(f"  {r.system} x {r.calls}: " + "; ".join(extra + r.notes))
    for calls in sorted({r.calls for r in results}):
        node = next((r for r in results if r.system == "node" and r.calls == calls and not r.error), None)
        stock = next((r for r in results if r.system == "stock" and r.calls == calls and not r.error), None)
        if node is not None and stock is not None and node.cpu_per_call_minute > 0:
            ratio = stock.cpu_per_call_minute / node.cpu_per_call_minute
            print(
                f"  {calls} call(s): stock relay / node CPU per call-minute = {ratio:.1f}x "
                f"(fps {stock.fps_median:.1f} vs {node.fps_median:.1f})"
            )


def verdicts(results: list[LoadResult]) -> list[str]:
    top = max((r.calls for r in results), default=max(LOADS))
    node = next((r for r in results if r.system == "node" and r.calls == top and not r.error), None)
    stock = next((r for r in results if r.system == "stock" and r.calls == top and not r.error), None)
    if node is None:
        return [f"no figures for the node at {top} calls: targets not assessed"]

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    lines = []
    ratio = math.nan
    if stock is not None and node.cpu_per_call_minute > 0:
        ratio = stock.cpu_per_call_minute / node.cpu_per_call_minute
    cpu_ok = node.cpu_per_call_minute <= TARGET_CPU_PER_CALL_MINUTE
    lines.append(
        f"{verdict(cpu_ok)}  CPU {node.cpu_per_call_minute:.2f} CPU-s per recorded call-minute "
        f"(target ≤ {TARGET_CPU_PER_CALL_MINUTE:g})"
    )
    if math.isnan(ratio):
        lines.append(f"n/a   stock relay ratio: no stock figures at {top} calls")
    else:
        lines.append(
            f"{verdict(ratio >= TARGET_STOCK_RATIO)}  stock relay / node CPU = {ratio:.1f}x (target ≥ "
            f"{TARGET_STOCK_RATIO:g}x; the stock relay's figure is capped by the 2 cores it can use)"
        )
    lines.append(f"{verdict(node.fps_median >= TARGET_FPS)}  received {node.fps_median:.1f} fps median (target ≥ 29)")
    lines.append(
        f"{verdict(node.lag_p99_ms < TARGET_LAG_P99_MS)}  loop lag p99 {node.lag_p99_ms:.1f} ms (target < 20 ms)"
    )
    lines.append(
        f"{verdict(node.rss_per_call_mb <= TARGET_RSS_PER_CALL_MB)}  RSS {node.rss_per_call_mb:.1f} MB per call "
        f"(target ≤ 25 MB)"
    )
    if node.saturated or (stock is not None and stock.saturated):
        lines.append(
            f"      note: the machine's {os.cpu_count()} cores were saturated at {top} calls (other processes used "
            f"{node.other_cores:.2f} cores beside the node and its clients): a server short of CPU shows lower CPU-s "
            "per call-minute and worse fps and lag than it would have alone"
        )
        full = [r for r in results if r.system == "node" and not r.error and r.fps_median >= TARGET_FPS]
        if full:
            small = min(full, key=lambda r: r.calls)
            need = small.client_cores / small.calls * top
            lines.append(
                f"      the load clients used {small.client_cores / small.calls:.2f} cores per call at {small.calls} "
                f"call(s) and full rate: {top} calls at full rate need ~{need:.1f} cores of clients alone"
            )
    if stock is not None:
        pairs = [
            f"CPU {node.cpu_per_call_minute:.2f} vs {stock.cpu_per_call_minute:.2f} CPU-s/call-min",
            f"fps {node.fps_median:.1f} vs {stock.fps_median:.1f}",
            f"concealment {node.concealment * 100:.1f}% vs {stock.concealment * 100:.1f}%",
            f"lag p99 {node.lag_p99_ms:.1f} vs {stock.lag_p99_ms:.1f} ms",
            f"RSS/call {node.rss_per_call_mb:.1f} vs {stock.rss_per_call_mb:.1f} MB",
        ]
        lines.append(f"      at {top} calls, node vs stock: " + ", ".join(pairs))
    return lines


@contextlib.asynccontextmanager
async def api(issuer: TokenIssuer) -> AsyncIterator[str]:
    async with serve(api_app(issuer)) as url:
        yield url


async def run(loads: tuple[int, ...] = LOADS, g2g: bool = True) -> None:
    started = time.monotonic()
    print("Media: recorded calls through the node vs aiortc's stock relay (decode → MediaRelay → re-encode)")
    print(
        f"  machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
        f"{WARMUP:g} s warm-up, {MEASURE:g} s measured per load"
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
        async with api(issuer) as api_url:
            for calls in loads:
                for system in ("node", "stock"):
                    result = await measure_load(system, calls, tmp, media, issuer, api_url)
                    results.append(result)
                    state = "failed" if result.error else "done"
                    print(f"  … {system} x {calls} {state} ({time.monotonic() - started:.0f} s)", flush=True)
            print()
            print_table(results)
            print()
            print(
                "  CPU: server process tree, utime+stime over the window. fps: complete VP8 frames per second each "
                "client received (median, min). Audio concealment: share of the 20 ms slots a player with a 60 ms "
                "buffer would have concealed (frames never received, waits for late ones), over all clients. Lag: "
                f"the node's LoopLagMonitor in both servers, read every {LAG_POLL:g} s. RSS: server tree growth from "
                "idle / calls. cores: CPU the server, the load clients and every other process on the machine used "
                f"during the window ({os.cpu_count()} cores in all)."
            )
            print()
            for line in verdicts(results):
                print("  " + line)
            print(flush=True)
            if g2g:
                await glass.run(tmp, issuer, api_url)
    print(f"  media benchmark took {time.monotonic() - started:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.media", description="Media node benchmark")
    parser.add_argument("--loads", default=",".join(map(str, LOADS)), help="concurrent calls per step, e.g. 1,4,8")
    parser.add_argument("--no-g2g", action="store_true", help="skip the glass-to-glass latency in Chromium")
    args = parser.parse_args([] if argv is None else argv)  # under ``python -m bench``: the defaults
    asyncio.run(run(tuple(int(x) for x in args.loads.split(",")), g2g=not args.no_g2g))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
