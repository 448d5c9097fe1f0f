"""Token buckets: a burst, then one request per refill interval; bounded memory for many keys."""

from __future__ import annotations

import pytest

from videoatencion_media.limits import KeyedBuckets, Rate, TokenBucket, retry_after


def test_bucket_allows_a_burst_then_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(Rate(rate=2.0, burst=3), clock=lambda: now[0])

    assert [bucket.take() for _ in range(3)] == [None, None, None]
    wait = bucket.take()
    assert wait == pytest.approx(0.5)
    now[0] += 0.5
    assert bucket.take() is None
    now[0] += 100
    assert [bucket.take() for _ in range(4)][:3] == [None, None, None]


def test_keys_have_their_own_buckets_and_the_oldest_is_forgotten() -> None:
    now = [0.0]
    buckets = KeyedBuckets(Rate(rate=0.1, burst=1), max_keys=2, clock=lambda: now[0])

    assert buckets.take("a") is None
    assert buckets.take("b") is None
    assert buckets.take("a") is not None
    assert buckets.take("c") is None  # "b" is forgotten (least recently used)
    assert buckets.take("b") is None


@pytest.mark.parametrize(("seconds", "header"), [(0.01, "1"), (1.0, "1"), (1.2, "2"), (30.0, "30")])
def test_retry_after_is_whole_seconds(seconds: float, header: str) -> None:
    assert retry_after(seconds) == header


def test_nonsense_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        Rate(rate=0, burst=1)
    with pytest.raises(ValueError, match="rate"):
        Rate(rate=1, burst=0)
