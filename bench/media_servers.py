"""Server processes of the media benchmark: the node under test, a process per load and forwarding path."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.media_tokens import WEBHOOK_SECRET
from dev.processes import free_port

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Server:
    name: str
    process: asyncio.subprocess.Process
    base_url: str
    ready_path: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


async def start_server(
    name: str, args: list[str], env: dict[str, str], port: int, ready_path: str, log: Path
) -> Server:
    handle = log.open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, env=env, cwd=ROOT, stdout=handle, stderr=asyncio.subprocess.STDOUT
    )
    handle.close()
    server = Server(name, process, f"http://127.0.0.1:{port}", ready_path, log)
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{server.log_tail()}")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with http.get(server.base_url + ready_path) as response:
                    if response.status == 200:
                        return server
            await asyncio.sleep(0.2)
    await stop_server(server)
    raise RuntimeError(f"{name} did not answer {ready_path} within 30 s:\n{server.log_tail()}")


async def stop_server(server: Server, timeout: float = 15.0) -> None:
    if server.process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            server.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(server.process.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                server.process.kill()
            await server.process.wait()


# The benchmark reads the node's /metrics as an operator would, with the bearer token the node is started with.
METRICS_TOKEN = "bench-metrics-token-of-a-throwaway-node"  # noqa: S105 - a throwaway local node's


def base_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIA_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["TMPDIR"] = str(tmp)
    return env


async def start_node(
    tmp: Path, api_url: str, *, recordings: Path, origins: str = "", tag: str = "node", forwarding: str | None = None
) -> Server:
    """A one-worker node; ``forwarding`` sets ``MEDIA_FORWARDING`` (``rtp``, ``packets``; None: the node's default)."""
    port = free_port()
    env = base_env(tmp) | {
        "MEDIA_HOST": "127.0.0.1",
        "MEDIA_PORT": str(port),
        "MEDIA_WORKERS": "1",
        "MEDIA_API_URL": api_url,
        "MEDIA_RECORDINGS_DIR": str(recordings),
        "MEDIA_ALLOWED_ORIGINS": origins,
        "MEDIA_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "MEDIA_NODE_ID": f"bench-{tag}",
        "MEDIA_DRAIN_SECONDS": "5",
        "MEDIA_UPLOAD_DRAIN_SECONDS": "5",
        "MEDIA_METRICS_TOKEN": METRICS_TOKEN,
    }
    if forwarding is not None:
        env["MEDIA_FORWARDING"] = forwarding
    return await start_server("node", ["-m", "videoatencion_media"], env, port, "/health", tmp / f"{tag}.log")
