"""cfn-lint (offline, the deployment region's resource specs) finds no error in any template of the app."""

from __future__ import annotations

import pytest
from cfnlint.api import ManualArgs, lint_file

from infra.tests.synthesis import REGION, STACKS, Synthesised


@pytest.mark.parametrize("short", STACKS)
def test_cfn_lint_finds_no_errors(synthesised: Synthesised, short: str) -> None:
    matches = lint_file(synthesised[short].template_path, config=ManualArgs(regions=[REGION]))

    errors = [str(m) for m in matches if m.rule.severity == "error"]
    assert errors == []
