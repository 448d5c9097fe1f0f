"""A test of the tests: run a lane while other processes keep every core busy, to show it passes on a busy machine.

    python -m tests.under_load                 # make check, with one CPU hog per core
    python -m tests.under_load make test       # any command
    python -m tests.under_load --hogs 4 -- .venv/bin/python -m pytest tests/unit

A hog is a Python process spinning at full speed (stress-ng does the same where it is installed; this needs nothing
more). Not part of CI: it takes as long as the lane it runs, slowed down by the hogs. Exit status: the command's.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def spin() -> None:
    """Full speed on one core until stopped."""
    x = 0
    while True:
        x = (x * 31 + 7) % 1_000_003


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 2, help="busy processes (default: one a core)")
    parser.add_argument("command", nargs="*", default=["make", "check"], help="what to run (default: make check)")
    args = parser.parse_args(argv)

    hogs = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.hogs)]
    for hog in hogs:
        hog.start()
    print(f"under load: {args.hogs} CPU hogs running (pids {', '.join(str(h.pid) for h in hogs)})", flush=True)
    started = time.monotonic()
    try:
        code = subprocess.run(args.command, cwd=ROOT, check=False).returncode
    finally:
        for hog in hogs:
            hog.terminate()
        for hog in hogs:
            hog.join(timeout=5)
    minutes = (time.monotonic() - started) / 60
    print(f"under load: {' '.join(args.command)} exited with {code} after {minutes:.1f} min beside {args.hogs} hogs")
    return code


if __name__ == "__main__":
    sys.exit(main())
