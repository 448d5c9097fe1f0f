"""Contract of the sign-in state (AuthStore): the in-memory fake and DynamoAuthStore on moto alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.auth.state import Challenge, Session
from chalicelib.services.ports import AuthStore
from tests.api.tables import both
from tests.fakes import InMemoryAuthStore

CHALLENGE = Challenge("ch-1", "citizen", "12345678Z", "d1g3st", "laia@example.cat", 0, False, 2_000_000_000)
SESSION = Session("jti-1", "12345678Z", "citizen", False, 1_900_000_000, 2_000_000_000)


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[AuthStore]:
    yield from both(request, InMemoryAuthStore, lambda c: c.auth_store)


def test_a_challenge_reads_back_unused_with_no_attempt(store: AuthStore) -> None:
    store.put_challenge(CHALLENGE)

    assert store.get_challenge("ch-1") == CHALLENGE
    assert store.get_challenge("ch-nothing") is None


def test_attempts_are_counted_up_to_the_limit_and_stop_once_the_code_is_used(store: AuthStore) -> None:
    store.put_challenge(CHALLENGE)

    assert [store.record_attempt("ch-1", 2) for _ in range(3)] == [1, 2, None]
    assert store.consume("ch-1")
    assert not store.consume("ch-1")  # a code works once
    assert store.record_attempt("ch-1", 5) is None
    assert store.get_challenge("ch-1") == Challenge(**{**CHALLENGE.__dict__, "attempts": 2, "used": True})
    assert store.record_attempt("ch-nothing", 5) is None
    assert not store.consume("ch-nothing")


def test_a_pending_challenge_is_found_by_its_key(store: AuthStore) -> None:
    store.set_pending("contact#abc", "ch-1", 2_000_000_000)
    store.set_pending("contact#abc", "ch-2", 2_000_000_000)

    assert store.get_pending("contact#abc") == "ch-2"
    assert store.get_pending("contact#xyz") is None


def test_a_rate_window_counts_up_to_its_limit_per_scope_key_and_window(store: AuthStore) -> None:
    assert [store.hit("code", "ip-1", 600, 300, 2) for _ in range(3)] == [True, True, False]
    assert store.hit("code", "ip-1", 900, 300, 2)  # the next window
    assert store.hit("code", "ip-2", 600, 300, 2)
    assert store.hit("verify", "ip-1", 600, 300, 2)


def test_a_session_is_touched_and_revoked(store: AuthStore) -> None:
    store.put_session(SESSION)
    assert store.get_session("jti-1") == SESSION

    store.touch_session("jti-1", 1_900_000_600)
    store.revoke_session("jti-1")
    store.revoke_session("jti-nothing")  # nothing to revoke: no error

    assert store.get_session("jti-1") == Session(**{**SESSION.__dict__, "last_seen": 1_900_000_600, "revoked": True})
    assert store.get_session("jti-nothing") is None


def test_an_eid_flow_is_taken_once(store: AuthStore) -> None:
    store.put_flow("state-1", {"verifier": "v", "attempt": "a", "nested": {"n": 1}}, 2_000_000_000)

    assert store.take_flow("state-1") == ({"verifier": "v", "attempt": "a", "nested": {"n": 1}}, 2_000_000_000)
    assert store.take_flow("state-1") is None
