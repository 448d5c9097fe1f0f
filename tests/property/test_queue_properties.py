"""The queue's estimate, whatever the state: never negative, never "now" while busy, more people ahead never shorter."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.queue import MIN_WAIT_BUSY_S, Ahead, Typical, Waiting, estimate_wait, learn, ordered

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MINUTES = st.integers(min_value=-120, max_value=120).map(lambda m: NOW + timedelta(minutes=m))
TYPICAL = st.builds(Typical, st.floats(min_value=60, max_value=7200), st.floats(min_value=0.05, max_value=1.5))
ELAPSED = st.none() | st.floats(min_value=0, max_value=20000)
AHEAD = st.lists(st.builds(Ahead, MINUTES, st.floats(min_value=0, max_value=1)), max_size=6)


@given(own=MINUTES, typical=TYPICAL, elapsed=ELAPSED, ahead=AHEAD)
def test_estimate_is_never_negative_and_never_now_while_busy(
    own: datetime, typical: Typical, elapsed: float | None, ahead: list[Ahead]
) -> None:
    wait = estimate_wait(NOW, own, typical, elapsed, ahead)

    assert wait >= 0
    if elapsed is not None or any(a.chance >= 1 for a in ahead):
        assert wait >= MIN_WAIT_BUSY_S
    assert wait >= (own - NOW).total_seconds() - 1


@given(own=MINUTES, typical=TYPICAL, elapsed=ELAPSED, ahead=AHEAD, extra=st.builds(Ahead, MINUTES))
def test_one_more_person_ahead_never_shortens_the_wait(
    own: datetime, typical: Typical, elapsed: float | None, ahead: list[Ahead], extra: Ahead
) -> None:
    assert estimate_wait(NOW, own, typical, elapsed, [*ahead, extra]) >= estimate_wait(
        NOW, own, typical, elapsed, ahead
    )


@given(typical=TYPICAL, a=st.floats(min_value=0, max_value=20000), b=st.floats(min_value=0, max_value=20000))
def test_a_call_is_expected_to_end_no_earlier_the_longer_it_has_lasted(typical: Typical, a: float, b: float) -> None:
    low, high = sorted((a, b))

    assert typical.remaining_s(high) >= 0
    assert high + typical.remaining_s(high) >= low + typical.remaining_s(low) - 1


@given(lengths=st.lists(st.floats(min_value=1, max_value=36000), max_size=60))
def test_the_learned_duration_lies_within_what_was_seen_or_is_the_slot(lengths: list[float]) -> None:
    typical = learn(lengths, 900)

    assert typical.median_s == 900 or min(lengths) * 0.999 <= typical.median_s <= max(lengths) * 1.001
    assert typical.spread > 0


@given(
    waiting=st.lists(
        st.builds(Waiting, st.uuids().map(str), MINUTES, MINUTES), max_size=12, unique_by=lambda w: w.appointment_id
    )
)
def test_the_queue_is_a_permutation_sorted_by_start_then_waiting_since(waiting: list[Waiting]) -> None:
    queue = ordered(waiting)

    assert sorted(w.appointment_id for w in queue) == sorted(w.appointment_id for w in waiting)
    assert all((a.start, a.waiting_since) <= (b.start, b.waiting_since) for a, b in itertools.pairwise(queue))
