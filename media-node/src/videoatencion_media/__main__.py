"""Entry point: ``videoatencion-media`` or ``python -m videoatencion_media``.

One worker process per core (``MEDIA_WORKERS``): all media of a worker's calls runs on its one event loop, so a second
loop needs a second process. Worker i listens on ``MEDIA_PORT + i`` and registers itself as a node of its own. With one
worker the node runs in this process; with more, this process supervises them (restarting one that dies) and passes
signals on.

Configuration errors exit with status 2 before anything binds, a port that cannot be bound with 1. SIGTERM (ECS
stopping a task) and SIGINT drain: /health answers 503 "draining", the registry entry says draining, offers for new
rooms get 503, calls in progress go on up to ``MEDIA_DRAIN_SECONDS``, uploads finish; then the node exits 0. A second
signal cuts the wait for calls short.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from aiohttp import web

from videoatencion_media.config import ConfigError, MediaConfig
from videoatencion_media.logs import AccessLogger, configure_logging

# In-flight HTTP requests get this long once the calls are drained.
SHUTDOWN_TIMEOUT_SECONDS = 10.0
WORKER_RESTART_DELAY_SECONDS = 1.0
WORKER_MIN_UPTIME_SECONDS = 5.0
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

logger = logging.getLogger("videoatencion_media")


def main() -> None:
    configure_logging()
    try:
        config = MediaConfig.from_env()
    except ConfigError as error:
        logger.error("invalid configuration", extra={"problems": error.problems})
        sys.exit(2)
    worker = _worker_argument(sys.argv[1:])
    if worker is not None:
        sys.exit(asyncio.run(serve(config.for_worker(worker), supervisor=os.getppid())))
    if config.workers == 1:
        sys.exit(asyncio.run(serve(config)))
    sys.exit(supervise(config))


def _worker_argument(argv: list[str]) -> int | None:
    if len(argv) == 2 and argv[0] == "--worker" and argv[1].isdigit():
        return int(argv[1])
    return None


async def serve(config: MediaConfig, supervisor: int | None = None) -> int:
    """Run one worker until a signal, drain it, and return the exit status.

    A supervised worker also stops (draining, so uploads finish) when its supervisor is gone: a supervisor killed
    outright (SIGKILL, OOM) must not leave workers serving with no one to restart or stop them.
    """
    # Imported here so the supervisor process never loads the WebRTC stack it does not use.
    from videoatencion_media.app import NODE, create_app

    app = create_app(config)
    runner = web.AppRunner(
        app, handle_signals=False, access_log_class=AccessLogger, shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, config.host, config.port).start()
    except OSError:
        logger.exception("media node could not start", extra={"host": config.host, "port": config.port})
        await runner.cleanup()
        return 1
    logger.info(
        "media node listening",
        extra={"host": config.host, "port": config.port, "node_id": config.node_id, "url": config.base_url},
    )

    stop, hurry = asyncio.Event(), asyncio.Event()

    def on_signal() -> None:
        (hurry if stop.is_set() else stop).set()

    loop = asyncio.get_running_loop()
    for stop_signal in _STOP_SIGNALS:
        loop.add_signal_handler(stop_signal, on_signal)
    orphan_watch = asyncio.create_task(_stop_when_orphaned(supervisor, stop)) if supervisor is not None else None
    await stop.wait()
    if orphan_watch is not None:
        orphan_watch.cancel()
    await app[NODE].drain(hurry)
    await runner.cleanup()
    logger.info("media node stopped", extra={"node_id": config.node_id})
    return 0


async def _stop_when_orphaned(supervisor: int, stop: asyncio.Event, every: float = 1.0) -> None:
    while os.getppid() == supervisor:  # noqa: ASYNC110 - a parent's death has no event to wait on
        await asyncio.sleep(every)
    logger.warning("supervisor gone: stopping this worker", extra={"supervisor": supervisor})
    stop.set()


def supervise(config: MediaConfig) -> int:
    """Start MEDIA_WORKERS worker processes, restart one that dies, pass SIGTERM/SIGINT on, wait for them to drain."""
    stopping: list[signal.Signals] = []
    workers: dict[int, subprocess.Popen[bytes]] = {}
    started_at: dict[int, float] = {}

    def start(index: int) -> None:
        workers[index] = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "videoatencion_media", "--worker", str(index)]
        )
        started_at[index] = time.monotonic()

    def stop_all(number: int) -> None:
        for process in workers.values():
            if process.poll() is None:
                process.send_signal(number)

    def on_signal(number: int, _frame: FrameType | None) -> None:
        stopping.append(signal.Signals(number))
        stop_all(number)

    for stop_signal in _STOP_SIGNALS:
        signal.signal(stop_signal, on_signal)
    for index in range(config.workers):
        start(index)
    logger.info("media node supervising workers", extra={"workers": config.workers, "first_port": config.port})

    failed = False
    while workers:
        time.sleep(0.2)
        for index, process in list(workers.items()):
            status = process.poll()
            if status is None:
                continue
            if stopping:
                del workers[index]
                failed = failed or status != 0
                continue
            if time.monotonic() - started_at[index] < WORKER_MIN_UPTIME_SECONDS:
                # It could not even start (its port is taken, say): restarting would only fail again.
                logger.error("media worker failed at start, stopping", extra={"worker": index, "status": status})
                stopping.append(signal.SIGTERM)
                failed = True
                del workers[index]
                stop_all(signal.SIGTERM)
                continue
            logger.error("media worker exited, restarting it", extra={"worker": index, "status": status})
            time.sleep(WORKER_RESTART_DELAY_SECONDS)
            if not stopping:
                start(index)
    logger.info("media node stopped")
    return 1 if failed else 0


if __name__ == "__main__":
    main()
