"""Synthesis of the whole CDK app: how long ``python infra/app.py`` takes, and what it writes.

Each stage is synthesised in a fresh subprocess, as an operator (or ``cdk synth``) runs it: the time includes starting
Python, jsii's Node process, ``chalice package`` for the API, asset staging and every stack's validation. Printed per
stage: the wall time against the target (issue 8: synth ≤ 60 s on this machine), then every template's size and
resource count (CloudFormation's limits: 1 MB per template uploaded through S3, 500 resources per stack).
The prod stage needs its operator context; the values below are placeholders of the right shape, nothing is deployed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "infra" / "app.py"
TARGET_SECONDS = 60.0
TIMEOUT_SECONDS = 600
MAX_TEMPLATE_BYTES = 1024 * 1024
MAX_RESOURCES = 500

PROD_CONTEXT = {
    "sender_email": "cita-previa@ajuntament.example",
    "public_base_url": "https://cita.ajuntament.example",
    "media_domain": "media.cita.ajuntament.example",
    "media_hosted_zone_id": "Z0123456789ABCDEFGHIJ",
    "media_tls_secret_arn": "arn:aws:secretsmanager:eu-south-2:123456789012:secret:videoatencion/media-tls-AbCdEf",
    "media_allowed_origins": "https://cita.ajuntament.example",
}
STAGES: dict[str, dict[str, str]] = {"prod": PROD_CONTEXT, "dev": {"stage": "dev"}}


def synthesise(context: dict[str, str], outdir: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    command = [sys.executable, str(APP), *(f"-c{key}={value}" for key, value in context.items()), "-o", str(outdir)]
    environment = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    for name in ("CDK_DEPLOY_REGION", "CDK_DEPLOY_ACCOUNT", "CDK_DEFAULT_ACCOUNT", "CDK_CONTEXT_JSON"):
        environment.pop(name, None)  # what the app reads from the shell: the benchmark synthesises the defaults
    started = time.perf_counter()
    finished = subprocess.run(
        command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    return time.perf_counter() - started, finished


def templates(outdir: Path) -> list[tuple[str, int, int]]:
    """(stack, bytes, resources) of every template in the assembly, in the manifest's order where it has one."""
    found = []
    for path in sorted(outdir.glob("*.template.json"), key=lambda p: p.stat().st_mtime):
        template = json.loads(path.read_text(encoding="utf-8"))
        found.append(
            (path.name.removesuffix(".template.json"), path.stat().st_size, len(template.get("Resources", {})))
        )
    return found


def main() -> int:
    status = 0
    print(f"CDK synthesis of the whole app (python infra/app.py, fresh process); target ≤ {TARGET_SECONDS:.0f} s:")
    for stage, context in STAGES.items():
        with tempfile.TemporaryDirectory(prefix=f"bench-synth-{stage}-") as tmp:
            seconds, finished = synthesise(context, Path(tmp))
            if finished.returncode != 0:
                status = 1
                print(f"  {stage}: FAILED after {seconds:.1f} s (exit {finished.returncode}):")
                for line in finished.stderr.strip().splitlines()[-8:]:
                    print(f"    {line}")
                continue
            verdict = "PASS" if seconds <= TARGET_SECONDS else "MISS"
            print(f"  {stage}: {seconds:.1f} s — synth ≤ {TARGET_SECONDS:.0f} s: {verdict}")
            rows = templates(Path(tmp))
            for name, size, resources in rows:
                flags = []
                if size > MAX_TEMPLATE_BYTES * 0.8:
                    flags.append(f"near the {MAX_TEMPLATE_BYTES // 1024} KB limit")
                if resources > MAX_RESOURCES * 0.8:
                    flags.append(f"near the {MAX_RESOURCES}-resource limit")
                note = f"  ({'; '.join(flags)})" if flags else ""
                print(f"    {name:34} {size / 1024:8.1f} KB {resources:5d} resources{note}")
            total_kb = sum(size for _, size, _ in rows) / 1024
            print(f"    {'total':34} {total_kb:8.1f} KB {sum(r for _, _, r in rows):5d} resources")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
