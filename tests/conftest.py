"""Shared test set-up: a fake AWS environment that can never reach a real account, and the running stack."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from chalicelib.services import identity
from tests.stack import RunningStack, start_stack

# Set before any AWS client exists. Never a real account: fake keys, no metadata service, no config files.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-south-2",
        "AWS_REGION": "eu-south-2",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "POWERTOOLS_METRICS_NAMESPACE": "Videoatencion",
        # app.py registers the development-only routes when imported with the dev stage's environment.
        "STAGE": "dev",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

# In this process only (the running stack of the integration tests keeps the real cost): staff passwords hashed at
# argon2's cheapest, as Django's test settings do. At the real cost each staff sign-in spent 0.1 s of CPU in argon2,
# ~8 % of the API lane. tests/unit/test_password_cost.py guards the real cost.
PRODUCTION_ARGON2_PROFILE = identity.ARGON2_PROFILE
identity.ARGON2_PROFILE = "CHEAPEST"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The whole local service, started once (as `make run` starts it) for the integration and browser tests."""
    running = start_stack(tmp_path_factory.mktemp("stack-logs"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def omac_agent_token(stack: RunningStack) -> str:
    """One sign-in of an OMAC agent (agent.omac2) for every integration and browser test that needs one and does not
    sign in through the page. A staff sign-in counts twice against the 5 sign-ins per user and 15 minutes (password,
    then password and code), and the session's browser tests use agent.omac's whole allowance and one sign-in of
    agent.omac2 (tests/e2e/test_documents.py)."""
    from tests.integration.test_booking_race import AGENT, staff_token

    return staff_token(stack, AGENT)
