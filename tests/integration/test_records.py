"""The running stack keeps its audit trail: log files and signed digests appear in the audit bucket on their own
(the API server's schedule), and `make verify-records`'s command verifies them from outside with the public key."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import boto3

from tests.stack import ROOT, RunningStack

BUCKET = "videoatencion-dev-audit"


def _keys(s3: object, prefix: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents") or []  # type: ignore[attr-defined]
    return [o["Key"] for o in listed]


def test_the_stack_delivers_and_seals_its_trail_and_it_verifies_from_outside(stack: RunningStack) -> None:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{stack.moto}",
        "AWS_ACCESS_KEY_ID": "auditor",
        "AWS_SECRET_ACCESS_KEY": "auditor",
        "AWS_DEFAULT_REGION": "eu-south-2",
        "AWS_EC2_METADATA_DISABLED": "true",
        "TRAIL_PUBLIC_KEYS_URL": f"{stack.api_url}/audit/public-keys",
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id="auditor",
        aws_secret_access_key="auditor",
        region_name="eu-south-2",
    )
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and not (_keys(s3, "logs/") and _keys(s3, "digests/")):
        time.sleep(0.5)
    assert _keys(s3, "logs/"), stack.logs()  # the seed's events (catalogue, demo calls) at least
    assert _keys(s3, "digests/"), stack.logs()

    done = subprocess.run(
        [sys.executable, "-m", "chalicelib.verify_records"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("INTACT:")
