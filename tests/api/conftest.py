"""API tests: the Chalice test client against moto in-process, with the dev stage's resources and demo data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from chalice.test import Client

from chalicelib import bootstrap
from dev.seed import DemoCounts, seed
from tests import moto_state

ROOT = Path(__file__).resolve().parents[2]

# The floor on code-request time (anti-enumeration) is tested on its own; here it would only slow every test.
os.environ["AUTH_MIN_RESPONSE_MS"] = "0"


@pytest.fixture
def aws() -> Iterator[None]:
    """moto with the dev stage's resources, empty (built once per process, emptied for each test)."""
    with moto_state.fresh():
        yield


STAFF_PASSWORD = "correct horse battery staple"


@pytest.fixture
def demo(aws: None) -> DemoCounts:
    return moto_state.seeded("demo", lambda: seed("dev", os.environ["AWS_REGION"], None, STAFF_PASSWORD))


@pytest.fixture
def client(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    from app import app

    # Chalice's test client reads .chalice/config.json from the working directory.
    monkeypatch.chdir(ROOT)
    bootstrap.reset()
    with Client(app, stage_name="dev", project_dir=str(ROOT)) as test_client:
        yield test_client
    bootstrap.reset()
