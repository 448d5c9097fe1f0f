"""checkov over every template of both stages (the session's syntheses): no failed check, and the skipped ones are
exactly those explained next to their resources (``infra/stacks/checkov.py``).

checkov pins an older boto3 than the app, so it has its own virtual environment: ``make checkov-venv`` (a
prerequisite of ``make test``) installs ``infra/requirements-checkov.txt`` into ``.venv-checkov``.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from infra.stacks.web_stack import WEB_DIST
from infra.tests.synthesis import Synthesised

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
# Accepted findings and on how many resources of the two stages (with the SPA built, as `make test` does); a new
# skip must be added here on purpose.
SKIPPED = {
    "CKV_AWS_111": 6,  # sns:Publish for SMS has no ARN; CDK's SPA upload grants
    "CKV_AWS_115": 16,  # no reserved concurrency: scheduled functions, CDK's deployment helpers
    "CKV_AWS_116": 18,  # no DLQ: synchronous or retried by their caller
    "CKV_AWS_117": 18,  # outside a VPC: they reach only AWS endpoints
    "CKV_AWS_120": 2,  # no API cache: answers are per person
    "CKV_AWS_149": 2,  # the origin secret under Secrets Manager's key, not the data key
    "CKV_AWS_158": 6,  # log groups of the rotation and of CDK's helpers: no personal data
    "CKV_AWS_173": 13,  # no secret in any function's environment
    "CKV_AWS_174": 2,  # the default CloudFront certificate (a custom domain gets TLSv1.2_2021)
    "CKV_AWS_18": 4,  # the access log bucket itself; the public SPA bucket
    "CKV_AWS_68": 2,  # the web ACL is regional on the API stage
    "CKV_AWS_73": 2,  # X-Ray off
    "CKV_AWS_86": 2,  # the public SPA distribution
}


def _checkov(templates: list[Path]) -> list[dict[str, Any]]:
    if not CHECKOV.is_file():
        pytest.fail(f"{CHECKOV} is missing: run `make checkov-venv` (part of `make test`)")
    files = [arg for template in templates for arg in ("-f", str(template))]
    done = subprocess.run(
        [
            str(CHECKOV),
            *files,
            "--framework",
            "cloudformation",
            "--skip-download",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.stdout, done.stderr
    reports = json.loads(done.stdout)
    return reports if isinstance(reports, list) else [reports]


def test_checkov_finds_nothing_unexplained(synthesised: Synthesised, synthesised_dev: Synthesised) -> None:
    templates = [stack.template_path for s in (synthesised, synthesised_dev) for stack in s.stacks.values()]

    reports = _checkov(templates)

    results = [report["results"] for report in reports]
    failed = [
        f"{c['check_id']} {Path(c['file_path']).name} {c['resource']}" for r in results for c in r["failed_checks"]
    ]
    skipped = Counter(c["check_id"] for r in results for c in r["skipped_checks"])
    unexplained = [
        c["check_id"] for r in results for c in r["skipped_checks"] if not c["check_result"].get("suppress_comment")
    ]
    assert sum(r["summary"]["parsing_errors"] for r in reports) == 0
    assert failed == []
    assert unexplained == []
    if (WEB_DIST / "index.html").is_file():
        assert dict(skipped) == SKIPPED
    else:  # without the SPA's upload function and role, fewer resources, the same reasons
        assert set(skipped) == set(SKIPPED)
        assert all(skipped[check] <= count for check, count in SKIPPED.items())
    assert sum(r["summary"]["passed"] for r in reports) > 500
