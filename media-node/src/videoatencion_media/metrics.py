"""Load figures of the node: event-loop lag, CPU time, memory and uptime.

Loop lag is the figure that matters for a media node: every RTP packet of every call is read on the one event loop, so
a loop that falls behind drops media and congestion control then cuts the callers' bitrate (docs: LOCAL.md, "WebRTC").
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time
from collections import deque
from dataclasses import dataclass


class LoopLagMonitor:
    """Measures how late the event loop wakes a sleeper that asked to wake every ``interval`` seconds.

    ``max_ms`` covers the last ``window`` seconds, so one slow start-up does not hide what the loop does now.
    """

    def __init__(self, interval: float = 0.5, window: float = 60.0) -> None:
        if interval <= 0 or window < interval:
            raise ValueError("interval must be positive and window at least one interval")
        self.interval = interval
        self.window = window
        self._recent: deque[float] = deque(maxlen=max(1, round(window / interval)))
        self.samples = 0

    @property
    def last_ms(self) -> float:
        return self._recent[-1] if self._recent else 0.0

    @property
    def max_ms(self) -> float:
        return max(self._recent, default=0.0)

    async def run(self) -> None:
        """Sample until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self._recent.append(max(0.0, loop.time() - expected) * 1000.0)
            self.samples += 1


@dataclass(frozen=True, slots=True)
class ProcessUsage:
    cpu_seconds: float
    max_rss_bytes: int


def process_usage() -> ProcessUsage:
    """CPU time (user + system) and peak resident memory of this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # ru_maxrss is kibibytes on Linux and bytes on macOS.
    rss_unit = 1 if sys.platform == "darwin" else 1024
    return ProcessUsage(cpu_seconds=time.process_time(), max_rss_bytes=usage.ru_maxrss * rss_unit)


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """What /metrics reports, as JSON for people and scripts or as Prometheus text for scrapers."""

    rooms: int
    participants: int
    usage: ProcessUsage
    loop_lag_last_ms: float
    loop_lag_max_ms: float
    loop_lag_window_seconds: float
    uptime_seconds: float

    def to_json(self) -> dict[str, object]:
        return {
            "rooms": self.rooms,
            "participants": self.participants,
            "cpu_seconds": round(self.usage.cpu_seconds, 3),
            "max_rss_bytes": self.usage.max_rss_bytes,
            "loop_lag_ms": {
                "last": round(self.loop_lag_last_ms, 3),
                "max": round(self.loop_lag_max_ms, 3),
                "window_seconds": self.loop_lag_window_seconds,
            },
            "uptime_seconds": round(self.uptime_seconds, 3),
        }

    def to_prometheus(self) -> str:
        prefix = "videoatencion_media"
        rows = [
            (f"{prefix}_rooms", "gauge", "Rooms open on this node.", self.rooms),
            (f"{prefix}_participants", "gauge", "Participants in rooms on this node.", self.participants),
            ("process_cpu_seconds_total", "counter", "User and system CPU time.", self.usage.cpu_seconds),
            (f"{prefix}_max_rss_bytes", "gauge", "Peak resident memory.", self.usage.max_rss_bytes),
            (
                f"{prefix}_event_loop_lag_seconds",
                "gauge",
                "Event-loop lag at the last sample.",
                self.loop_lag_last_ms / 1000.0,
            ),
            (
                f"{prefix}_event_loop_lag_max_seconds",
                "gauge",
                f"Largest event-loop lag over the last {self.loop_lag_window_seconds:g} s.",
                self.loop_lag_max_ms / 1000.0,
            ),
            (f"{prefix}_uptime_seconds", "gauge", "Seconds since the node started.", self.uptime_seconds),
        ]
        lines: list[str] = []
        for name, kind, help_text, value in rows:
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {value}"]
        return "\n".join(lines) + "\n"
