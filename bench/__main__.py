"""Run every benchmark: ``python -m bench`` (``make bench``)."""

from __future__ import annotations

import sys

from bench import cold_start


def main() -> int:
    return cold_start.main()


if __name__ == "__main__":
    sys.exit(main())
