"""`make synth` writes every stack's template to infra/cdk.out/ with no AWS account (the prod stage with example
operator values unless CONTEXT is given)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("keys", "data", "records", "api", "media", "web", "observability")


def test_make_synth_writes_every_stacks_template() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CDK_", "AWS_PROFILE"))}
    environment["STAGE"] = "dev"  # the API's variable (set by other tests): it must not choose the CDK stage
    for template in (ROOT / "infra" / "cdk.out").glob("*.template.json"):
        template.unlink()  # no stale file from an earlier synthesis can pass for this one
    done = subprocess.run(
        ["make", "-s", "synth"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr
    for stack in STACKS:
        template = ROOT / "infra" / "cdk.out" / f"videoatencion-prod-{stack}.template.json"
        assert json.loads(template.read_text())["Resources"], stack
