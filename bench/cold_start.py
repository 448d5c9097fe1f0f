"""Cold start of the API function versus a bare Chalice + boto3 baseline, side by side against one moto server.

Each sample is a fresh interpreter that imports the app and serves its first ``GET /services`` (our app) or does
one DynamoDB GetItem (baseline). We time the whole process (interpreter start included, as Lambda's init does)
and, separately, the in-process part the app controls. Runs alternate so machine noise hits both alike.
Target (issue 2): ratio of medians ≤ 1.5.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from dev.chalice_config import stage_environment
from dev.moto_server import make_serialised_server
from dev.processes import free_port
from dev.provision import provision
from dev.run import REGION, aws_environment
from dev.seed import seed

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_RUNS", "15"))


def _sample(script: str, env: dict[str, str]) -> tuple[float, float]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", f"bench.{script}"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - started
    inner, status = out.stdout.strip().splitlines()[-1].split()
    if status != "200":
        raise RuntimeError(f"{script} answered {status}: {out.stdout}{out.stderr}")
    return wall, float(inner)


def main() -> int:
    import threading

    port = free_port()
    server = make_serialised_server("127.0.0.1", port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, **aws_environment(port), **stage_environment("dev"), "POWERTOOLS_LOG_LEVEL": "WARNING"}
    os.environ.update(aws_environment(port))
    provision("dev", REGION, env["AWS_ENDPOINT_URL"])
    seed("dev", REGION, env["AWS_ENDPOINT_URL"])

    samples: dict[str, list[tuple[float, float]]] = {"cold_api": [], "cold_baseline": []}
    for script in samples:  # one warm-up each: page cache, .pyc files
        _sample(script, env)
    for _ in range(RUNS):
        for script, results in samples.items():
            results.append(_sample(script, env))

    def median(script: str, which: int) -> float:
        return statistics.median(s[which] for s in samples[script])

    print(f"Cold start, first GET /services against moto ({RUNS} fresh processes each, medians):")
    print(f"  {'':38} {'process wall':>12} {'import+request':>15}")
    for label, script in (("API (app.py)", "cold_api"), ("baseline (bare Chalice + boto3 GetItem)", "cold_baseline")):
        print(f"  {label:38} {median(script, 0) * 1000:10.0f} ms {median(script, 1) * 1000:12.0f} ms")
    ratio_wall = median("cold_api", 0) / median("cold_baseline", 0)
    ratio_inner = median("cold_api", 1) / median("cold_baseline", 1)
    print(f"  ratio API / baseline: {ratio_wall:.2f} (process wall), {ratio_inner:.2f} (import+request); target ≤ 1.5")
    return 0
