"""Run every benchmark: ``python -m bench`` (``make bench``)."""

from __future__ import annotations

import sys

from bench import availability, cold_start, contention, cost, documents, eta, media, records, synth


def main() -> int:
    status = 0
    for benchmark in (cold_start, availability, contention, eta, media, documents, records, synth, cost):
        status = benchmark.main() or status
        print(flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
