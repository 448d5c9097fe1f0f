"""Fixtures the integration tests share with each other."""

from __future__ import annotations

import pytest

from tests.integration.test_booking_race import AGENT, staff_token
from tests.stack import RunningStack


@pytest.fixture(scope="session")
def omac_agent_token(stack: RunningStack) -> str:
    """One sign-in of an OMAC agent for every integration test that needs one. A staff sign-in counts twice against
    the 5 sign-ins per user and 15 minutes (password, then password and code), and the session's browser tests use
    agent.omac's whole allowance and one sign-in of agent.omac2 (tests/e2e/test_documents.py)."""
    return staff_token(stack, AGENT)
