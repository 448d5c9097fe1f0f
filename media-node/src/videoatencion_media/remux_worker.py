"""The shared remux worker of a node worker process: one ``python -m videoatencion_media.remux --worker`` process
(``remux.py``) follows the media journals of every room this process records on the RTP path (``rtp_recording.py``),
instead of one remux process per room. Standard library only: this module lives in the node's process.

:func:`shared_worker` is the process's one :class:`RemuxWorker` (created at first use, thread-safe). The first
recorder's :meth:`RemuxWorker.follow` starts the process (in its own session, so a Ctrl-C of the node does not reach
it); each recorder's :meth:`RemuxWorker.finish` asks it to finish that folder and waits for the answer.

- Stdin: ``{"follow": folder}`` and ``{"finish": folder}`` lines. Stdout, read by one thread here: the closed segments
  (``"folder"`` names the room), handed to that recorder's callback in order, and the ``{"finished": folder, ...}``
  answers, handed to the waiting ``finish``.
- A worker that dies (its stdout closes without a ``stop``) is started again at once and told to follow every folder
  still followed: each resumes where its journal says (``remux.py``). A ``finish`` waiting on it gets ``None`` (the
  recorder remuxes that folder once itself). A folder followed through more than ``RESTARTS`` deaths is dropped, so a
  folder that kills the worker cannot keep killing it.
- Nothing followed nor finishing for ``IDLE_SECONDS``: its stdin is closed and it exits; the next recording starts
  another. :func:`stop_shared_worker` stops it at once (the node's stop, tests). If this process dies, the worker sees
  its stdin close, finishes every folder it follows and exits.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

logger = logging.getLogger(__name__)

# With nothing to follow for this long, the worker is stopped.
IDLE_SECONDS: Final = 30.0
# A folder followed through more worker deaths than this is dropped (its recorder remuxes it at finish).
RESTARTS: Final = 3
# How long stop waits for the worker to finish what it follows.
STOP_TIMEOUT_SECONDS: Final = 60.0

Message = dict[str, Any]


def json_object(line: bytes) -> Message | None:
    """A line of the worker protocol (either way): a JSON object, None for anything else."""
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def worker_command() -> list[str]:
    return [sys.executable, "-m", "videoatencion_media.remux", "--worker"]


class _Finishing:
    """A ``finish`` waiting for the worker's answer about its folder."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.done = threading.Event()
        self.answer: Message | None = None


class RemuxWorker:
    """Starts, feeds, restarts and stops the shared remux process (see the module docstring). Thread-safe."""

    def __init__(
        self,
        command: Sequence[str] | None = None,
        *,
        idle_seconds: float | None = None,
        restarts: int = RESTARTS,
    ) -> None:
        self.command = list(command) if command is not None else worker_command()
        self.idle_seconds = IDLE_SECONDS if idle_seconds is None else idle_seconds
        self.restarts = restarts
        self.starts = 0  # processes started, restarts included
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        # Followed folders: how many worker deaths each went through.
        self._followed: dict[str, int] = {}
        # Where each folder's segment lines go, from follow until its finish is answered.
        self._callbacks: dict[str, Callable[[Message], None]] = {}
        self._finishing: dict[str, _Finishing] = {}
        self._idle: threading.Timer | None = None

    @property
    def pid(self) -> int | None:
        process = self._process
        return None if process is None else process.pid

    @property
    def followed(self) -> list[Path]:
        with self._lock:
            return [Path(key) for key in self._followed]

    def follow(self, directory: Path, on_message: Callable[[Message], None]) -> bool:
        """Have the worker follow a room folder (starting it if need be); ``on_message`` gets each closed segment's
        line, from the reader thread. False if the worker could not be told now (it is when it starts again)."""
        key = str(directory)
        with self._lock:
            self._cancel_idle()
            self._followed[key] = 0
            self._callbacks[key] = on_message
            if self._process is None:
                return self._start()
            return self._send({"follow": key})

    def finish(self, directory: Path, timeout: float) -> Message | None:
        """Have the worker remux the rest of a followed folder and close its segments; blocks until it answers.

        The answer (``"ok"``, the stats), or None when the folder is not followed, or the worker died or did not
        answer within ``timeout`` (then it is killed, and started again for the other folders)."""
        key = str(directory)
        with self._lock:
            followed = self._followed.pop(key, None) is not None
            process = self._process
            if not followed or process is None or key in self._finishing:
                self._callbacks.pop(key, None)
                self._idle_when_unused()
                return None
            waiting = self._finishing[key] = _Finishing(process)
            if not self._send({"finish": key}):
                del self._finishing[key]
                self._callbacks.pop(key, None)
                return None  # it died: the reader thread starts it again for the others
        if not waiting.done.wait(timeout):
            logger.error("the remux worker did not finish %s in time; killed", directory.name)
            with contextlib.suppress(OSError):
                process.kill()
            waiting.done.wait(30)
        with self._lock:
            if self._finishing.get(key) is waiting:
                del self._finishing[key]
            self._callbacks.pop(key, None)
            self._idle_when_unused()
        return waiting.answer

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Close the worker's stdin (it finishes what it follows and exits) and wait for it; killed after timeout."""
        with self._lock:
            self._cancel_idle()
            process = self._process
            self._process = None
            self._followed.clear()
            if process is not None:
                self._close_stdin(process)
        if process is None:
            return
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            logger.error("the remux worker did not stop; killed")
            process.kill()
            process.wait()

    # ---- under self._lock ----

    def _start(self) -> bool:
        if not self._followed:
            return False
        try:
            process = subprocess.Popen(  # noqa: S603 (this interpreter, our own module)
                self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True
            )
        except OSError:
            logger.exception("could not start the remux worker")
            return False
        self._process = process
        self.starts += 1
        threading.Thread(target=self._read, args=(process,), name="remux-worker", daemon=True).start()
        sent = [self._send({"follow": key}) for key in self._followed]  # to every folder, even after a failure
        return all(sent)

    def _send(self, message: Message) -> bool:
        process = self._process
        if process is None or process.stdin is None:
            return False
        try:
            process.stdin.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
            process.stdin.flush()
        except (OSError, ValueError):
            return False
        return True

    @staticmethod
    def _close_stdin(process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(OSError, ValueError):
            if process.stdin is not None:
                process.stdin.close()

    def _cancel_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _idle_when_unused(self) -> None:
        """Nothing followed or finishing: stop the worker after ``idle_seconds`` unless a folder comes."""
        if self._followed or self._finishing or self._process is None or self._idle is not None:
            return
        timer = self._idle = threading.Timer(self.idle_seconds, self._stop_if_idle)
        timer.daemon = True
        timer.start()

    # ---- threads ----

    def _stop_if_idle(self) -> None:
        with self._lock:
            if self._idle is None or self._idle is not threading.current_thread():
                return  # cancelled, or another timer since
            self._idle = None
            if self._followed or self._finishing or self._process is None:
                return
            process = self._process
            self._process = None
            self._close_stdin(process)  # it exits; the reader thread reaps it
        logger.info("the remux worker stopped: no recording for %.0f s", self.idle_seconds)

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        """The worker's stdout: segments to their folder's callback, answers to their finish; then its end."""
        stdout = process.stdout
        if stdout is not None:
            with stdout:
                for line in stdout:
                    self._line(process, line)
        code = process.wait()
        with self._lock:
            for waiting in self._finishing.values():
                if waiting.process is process:
                    waiting.done.set()  # no answer: None
            if self._process is not process:
                return  # stopped on purpose
            self._process = None
            logger.error("the remux worker died (status %s)", code)
            for key in list(self._followed):
                self._followed[key] += 1
                if self._followed[key] > self.restarts:
                    logger.error("the remux worker died %d times while following %s; dropped", self.restarts, key)
                    del self._followed[key]
            if self._followed:
                self._start()
            else:
                self._idle_when_unused()

    def _line(self, process: subprocess.Popen[bytes], line: bytes) -> None:
        message = json_object(line)
        if message is None:
            return
        folder, finished = message.get("folder"), message.get("finished")
        if isinstance(folder, str):
            with self._lock:
                callback = self._callbacks.get(folder)
            if callback is not None:
                try:
                    callback(message)
                except Exception:
                    logger.exception("a remux segment callback failed")
        elif isinstance(finished, str):
            with self._lock:
                waiting = self._finishing.get(finished)
                if waiting is not None and waiting.process is process:
                    waiting.answer = message
                    waiting.done.set()


_shared: RemuxWorker | None = None
_shared_pid = 0
_shared_lock = threading.Lock()


def shared_worker() -> RemuxWorker:
    """This process's remux worker (created at first use)."""
    global _shared, _shared_pid
    with _shared_lock:
        if _shared is None or _shared_pid != os.getpid():  # a forked child has its own
            _shared = RemuxWorker()
            _shared_pid = os.getpid()
        return _shared


def stop_shared_worker(timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """Stop this process's remux worker, if any, and forget it (the next :func:`shared_worker` makes a new one)."""
    global _shared
    with _shared_lock:
        worker, _shared = _shared, None
    if worker is not None:
        worker.stop(timeout)
