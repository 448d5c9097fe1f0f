"""Fixtures of the CDK app's tests.

The app is synthesised once per session: jsii starts a Node process, and a synthesis takes seconds.
"""

from __future__ import annotations

import os

import pytest

# Before aws_cdk is first imported: Node 20's end-of-life banner would otherwise open every run.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra.tests.synthesis import Synthesised, synthesise


@pytest.fixture(scope="session")
def synthesised(tmp_path_factory: pytest.TempPathFactory) -> Synthesised:
    return synthesise(tmp_path_factory.mktemp("cdk.out"))
