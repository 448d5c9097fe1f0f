"""LocalStack on the host: the keys and records stacks deploy to its CloudFormation, and S3 and KMS really apply
Object Lock, versioning, encryption, public access blocks and TLS-only policies (``python -m infra.localstack.run``).

Needs Python 3.13 (LocalStack needs ≥ 3.12, the project's venv is 3.11); the first run installs ``localstack-core``
into ``.localstack/venv`` (~1.5 min), later runs take ~30 s.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from infra.app import REPO_ROOT
from infra.localstack.runtime import find_python

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        find_python() is None,
        reason="LocalStack needs Python 3.13 and none was found "
        "(pyenv versions/3.13*, python3.13 on PATH, or $LOCALSTACK_PYTHON)",
    ),
]


@pytest.mark.timeout(900)  # the first run installs localstack-core
def test_the_keys_and_records_stacks_deploy_to_localstack_and_s3_applies_them() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "infra.localstack.run"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=880,
        check=False,
    )

    print(result.stdout)
    assert result.returncode == 0, f"{result.stdout[-6000:]}\n{result.stderr[-4000:]}"
    assert " 0 failed" in result.stdout
