"""The loop-lag monitor measures real stalls and lives exactly as long as the app."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from videoatencion_media.app import create_app
from videoatencion_media.config import MediaConfig
from videoatencion_media.metrics import LoopLagMonitor

Client = TestClient[web.Request, web.Application]


async def _wait_for_samples(loop_lag: LoopLagMonitor, more_than: int) -> None:
    async with asyncio.timeout(2):
        while loop_lag.samples <= more_than:
            await asyncio.sleep(0.005)


METRICS_TOKEN = "operator-metrics-token-0123456789"  # noqa: S105 - a test's
AS_OPERATOR = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture
def config(tmp_path: Path) -> MediaConfig:
    return MediaConfig.from_env(
        {"MEDIA_RECORDINGS_DIR": str(tmp_path / "recordings"), "MEDIA_METRICS_TOKEN": METRICS_TOKEN}
    )


async def test_loop_lag_is_measured_and_follows_a_stall(client: Client, loop_lag: LoopLagMonitor) -> None:
    await _wait_for_samples(loop_lag, more_than=2)
    before = (await (await client.get("/metrics", headers=AS_OPERATOR)).json())["loop_lag_ms"]
    assert before["last"] >= 0
    assert before["max"] >= before["last"]

    # GIVEN the loop is blocked for 120 ms, as a synchronous encode would block it
    time.sleep(0.12)
    await _wait_for_samples(loop_lag, more_than=loop_lag.samples)

    # THEN the next sample sees the stall
    after = (await (await client.get("/metrics", headers=AS_OPERATOR)).json())["loop_lag_ms"]
    assert after["max"] >= 80
    assert after["max"] > before["max"]


async def test_stall_leaves_the_window_once_it_is_old() -> None:
    monitor = LoopLagMonitor(interval=0.01, window=0.05)
    task = asyncio.create_task(monitor.run())
    try:
        await _wait_for_samples(monitor, more_than=1)
        time.sleep(0.06)
        await _wait_for_samples(monitor, more_than=monitor.samples)
        assert monitor.max_ms >= 40

        await _wait_for_samples(monitor, more_than=monitor.samples + 6)
        assert monitor.max_ms < 40
    finally:
        task.cancel()


async def test_monitor_stops_with_the_app(config: MediaConfig) -> None:
    monitor = LoopLagMonitor(interval=0.01, window=1.0)
    async with TestClient(TestServer(create_app(config, loop_lag=monitor))):
        await _wait_for_samples(monitor, more_than=1)

    stopped_at = monitor.samples
    await asyncio.sleep(0.05)
    assert monitor.samples == stopped_at


@pytest.mark.parametrize(("interval", "window"), [(0, 1.0), (-1, 1.0), (1.0, 0.5)])
def test_monitor_rejects_nonsense_intervals(interval: float, window: float) -> None:
    with pytest.raises(ValueError, match="interval"):
        LoopLagMonitor(interval=interval, window=window)
