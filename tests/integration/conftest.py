"""Fixtures the integration tests share with each other (the OMAC agent's sign-in, ``omac_agent_token``, is in
tests/conftest.py: the browser tests share it too)."""
