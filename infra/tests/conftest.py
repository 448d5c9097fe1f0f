"""Fixtures of the CDK app's tests.

The app is synthesised once per session and stage: jsii starts a Node process, and a synthesis takes seconds.
``synthesised`` is production (what the assertions mostly check); ``synthesised_dev`` is for the differences.
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


@pytest.fixture(scope="session")
def synthesised_dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesised:
    return synthesise(tmp_path_factory.mktemp("cdk.out.dev"), stage="dev")
