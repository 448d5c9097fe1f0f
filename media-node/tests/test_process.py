"""The node as ECS runs it: a real process that serves /health and stops cleanly on a signal."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from dev.processes import alive, children_of, free_port_run


def _node_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEDIA_")}
    env.update(
        {"MEDIA_HOST": "127.0.0.1", "MEDIA_RECORDINGS_DIR": str(tmp_path / "recordings"), "MEDIA_WORKERS": "1"},
        **overrides,
    )
    return env


def _wait_for_health(port: int, node: subprocess.Popen[str]) -> dict[str, object]:
    # Generous: on a loaded 2-core CI machine importing aiortc and PyAV alone can take seconds.
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if node.poll() is not None:
            raise AssertionError(f"the node exited before serving: {node.communicate()[1]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
                body: dict[str, object] = json.load(response)
                return body
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the node did not answer /health within 40 s")


def _serve_then_stop(
    tmp_path: Path, stop_signal: signal.Signals, workers: int = 1, **overrides: str
) -> tuple[int, list[dict[str, object]], subprocess.CompletedProcess[str]]:
    """Starts the node on a free port (its workers on the ports after it), waits for each to answer /health, sends
    it ``stop_signal``; returns the port, each worker's /health body and the finished process."""
    port = free_port_run(workers)
    node = subprocess.Popen(
        [sys.executable, "-m", "videoatencion_media"],
        env=_node_env(tmp_path, MEDIA_PORT=str(port), MEDIA_WORKERS=str(workers), **overrides),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = [_wait_for_health(worker_port, node) for worker_port in range(port, port + workers)]
        node.send_signal(stop_signal)
        stdout, stderr = node.communicate(timeout=30)
    finally:
        if node.poll() is None:
            node.kill()
            node.wait()
    return port, health, subprocess.CompletedProcess(node.args, node.returncode, stdout, stderr)


@pytest.mark.integration
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_node_serves_health_and_stops_cleanly_on_signal(tmp_path: Path, stop_signal: signal.Signals) -> None:
    _, health, node = _serve_then_stop(tmp_path, stop_signal)

    assert health == [{"status": "ok"}]
    assert node.returncode == 0, node.stderr
    assert node.stderr == ""
    logs = [json.loads(line) for line in node.stdout.splitlines()]
    messages = [entry["message"] for entry in logs]
    assert messages[0] == "media node listening"
    assert messages[-1] == "media node stopped"
    assert {"method": "GET", "path": "/health", "status": 200}.items() <= next(
        entry for entry in logs if entry["message"] == "request"
    ).items()


@pytest.mark.integration
def test_bad_configuration_exits_before_binding(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "videoatencion_media"],
        env=_node_env(tmp_path, MEDIA_PORT="eighty"),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 2
    error = json.loads(result.stdout.splitlines()[-1])
    assert error["level"] == "ERROR"
    assert any("MEDIA_PORT" in problem for problem in error["problems"])


@pytest.mark.integration
def test_one_worker_per_core_each_on_its_own_port(tmp_path: Path) -> None:
    port, health, node = _serve_then_stop(tmp_path, signal.SIGTERM, workers=2, MEDIA_NODE_ID="node-x")

    assert [body["status"] for body in health] == ["ok", "ok"]
    assert node.returncode == 0, node.stderr
    logs = [json.loads(line) for line in node.stdout.splitlines()]
    listening = {(entry["port"], entry["node_id"]) for entry in logs if entry["message"] == "media node listening"}
    assert listening == {(port, "node-x-0"), (port + 1, "node-x-1")}
    assert logs[-1]["message"] == "media node stopped"


@pytest.mark.integration
def test_workers_stop_when_their_supervisor_is_killed(tmp_path: Path) -> None:
    port = free_port_run(2)
    node = subprocess.Popen(
        [sys.executable, "-m", "videoatencion_media"],
        env=_node_env(tmp_path, MEDIA_PORT=str(port), MEDIA_WORKERS="2", MEDIA_NODE_ID="node-k"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    workers: list[int] = []
    try:
        for worker_port in (port, port + 1):
            assert _wait_for_health(worker_port, node)["status"] == "ok"
        workers = children_of(node.pid)
        assert len(workers) == 2
        node.kill()  # no chance to pass a signal on
        node.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(alive(w) for w in workers):
            time.sleep(0.1)
        assert not any(alive(w) for w in workers), "orphaned workers kept running"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.pid, signal.SIGKILL)
