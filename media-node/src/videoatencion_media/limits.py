"""Token buckets against signalling floods: offers per client address and per participant, messages per WebSocket.

A bucket holds ``burst`` tokens and refills at ``rate`` per second; a request takes one or is refused with the seconds
until one is back (the ``Retry-After`` of a 429).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rate:
    rate: float  # tokens per second
    burst: int

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("a rate needs a positive refill and a burst of at least one")


class TokenBucket:
    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._clock = clock
        self._tokens = float(rate.burst)
        self._updated = clock()

    def take(self) -> float | None:
        """None if a token was taken, else the seconds until one is available."""
        now = self._clock()
        self._tokens = min(float(self._rate.burst), self._tokens + (now - self._updated) * self._rate.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        return (1.0 - self._tokens) / self._rate.rate


class KeyedBuckets:
    """One bucket per key (an IP address, a participant), at most ``max_keys`` of them: the least recently used one
    goes first, so a spray of addresses costs bounded memory."""

    def __init__(self, rate: Rate, *, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, key: str) -> float | None:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self._rate, self._clock)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket.take()


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, at least one."""
    return str(max(1, math.ceil(seconds)))


@dataclass(frozen=True, slots=True)
class SignallingLimits:
    """The node's limits; tests build tighter or looser ones."""

    offers_per_ip: Rate = Rate(rate=1.0, burst=20)
    offers_per_participant: Rate = Rate(rate=0.5, burst=6)
    messages_per_socket: Rate = Rate(rate=5.0, burst=30)
    sockets_per_ip: Rate = Rate(rate=1.0, burst=20)
