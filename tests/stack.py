"""Starts the local stack exactly as ``make run`` does (``python -m dev.run``), on free ports, for tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import requests

from dev import processes

ROOT = Path(__file__).resolve().parents[1]
STAFF_PASSWORD = "demo-staff-password-for-tests"


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    moto: int
    api: int
    media: int
    web: int
    eid: int
    log_dir: Path

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api}"

    @property
    def media_url(self) -> str:
        return f"http://127.0.0.1:{self.media}"

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.log_dir.glob("*.log"))

    def stop(self) -> int:
        """Ctrl-C, as a person at the terminal would; returns the runner's exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise


def start_stack(log_dir: Path, timeout: float = 90) -> RunningStack:
    moto, api, media, web, eid = processes.free_ports(5)
    log_dir.mkdir(parents=True, exist_ok=True)
    runner_log = (log_dir / "runner.log").open("wb")
    process = processes.start(
        [
            sys.executable,
            "-m",
            "dev.run",
            "--moto-port",
            str(moto),
            "--api-port",
            str(api),
            "--media-port",
            str(media),
            "--web-port",
            str(web),
            "--eid-port",
            str(eid),
            "--log-dir",
            str(log_dir),
        ],
        cwd=ROOT,
        env={**os.environ, "DEMO_STAFF_PASSWORD": STAFF_PASSWORD},
        output=runner_log,
    )
    stack = RunningStack(process, moto, api, media, web, eid, log_dir)
    try:
        processes.wait_until(
            lambda: "Ready in" in (log_dir / "runner.log").read_text(errors="replace"), process, "dev.run", timeout
        )
    except RuntimeError as failed:
        stack.stop()
        raise RuntimeError(f"{failed}:\n{stack.logs()}") from failed
    return stack


def get(url: str) -> requests.Response:
    return requests.get(url, timeout=10)
