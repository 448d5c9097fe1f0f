"""The waiting room's queue: who is next for an agent, how long a citizen will probably wait, who may be handed over.

Pure rules (no AWS): the API's queue and overflow use cases and the ETA benchmark (``bench/eta.py``) both go through
here, so the figures the benchmark prints are those of the code that answers the citizen.

- An agent's waiting people are served by slot start, then by when they began waiting (a reconnection keeps its
  place: ``domain/calls.py`` keeps ``waiting_since``).
- The estimate plays the agent's afternoon forward: the current call's remaining time (the median of what is left of a
  call that has already lasted this long, under the service's learned durations), then each person ahead (their
  expected length; someone booked earlier who has not joined yet counts with the chance that they still come), and
  nobody is admitted before their own slot starts. It never says "now" while the agent is busy or someone is ahead.
- Durations are learned from the office's completed calls of the last 30 days (median and spread of the logarithms:
  call lengths are skewed, a few long calls must not drag the typical one); with too few calls, the slot length.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

LEARNING_DAYS = 30
MIN_SAMPLES = 5  # fewer completed calls than this: the slot length is the typical duration
DEFAULT_SPREAD = 0.5  # sigma of log(length) when it cannot be learned: a p90 of about 1.9 times the median
MAX_SPREAD = 1.5
MIN_WAIT_BUSY_S = 60  # never "now" while the agent is busy or someone is ahead
NO_SHOW_RATE = 0.1  # the share of booked people who never join, when the office's own rate is not known
LATE_GRACE = timedelta(minutes=10)  # someone booked earlier who has not joined this long after their start: not coming
_NORMAL = statistics.NormalDist()


class AgentStatus(StrEnum):
    FREE = "free"
    IN_CALL = "in_call"
    AWAY = "away"


@dataclass(frozen=True)
class Waiting:
    """A citizen in the waiting room of one of the agent's appointments."""

    appointment_id: str
    start: datetime  # the slot's start
    waiting_since: datetime

    @property
    def key(self) -> tuple[datetime, datetime, str]:
        return (self.start, self.waiting_since, self.appointment_id)


def ordered(waiting: Iterable[Waiting]) -> list[Waiting]:
    """The agent's waiting people in the order they will be served: by slot start, then by when they began waiting."""
    return sorted(waiting, key=lambda w: w.key)


@dataclass(frozen=True)
class Position:
    position: int  # 1: next to be attended
    ahead: tuple[Waiting, ...]


def position_of(appointment_id: str, waiting: Iterable[Waiting]) -> Position | None:
    """Where ``appointment_id`` stands among the agent's waiting people (None: not waiting)."""
    queue = ordered(waiting)
    for index, w in enumerate(queue):
        if w.appointment_id == appointment_id:
            return Position(index + 1, tuple(queue[:index]))
    return None


@dataclass(frozen=True)
class Typical:
    """How long a service's calls last: the median (seconds) and the spread of the logarithm of the length."""

    median_s: float
    spread: float = DEFAULT_SPREAD
    learned_from: int = 0  # how many calls

    @property
    def mean_s(self) -> float:
        """The expected length: what a person ahead adds (a sum of skewed lengths centres near the sum of means)."""
        return self.median_s * math.exp(self.spread**2 / 2)

    def remaining_s(self, elapsed_s: float) -> float:
        """The median of what is left of a call that has lasted ``elapsed_s``: the length whose chance of being
        exceeded is half that of the lengths beyond ``elapsed_s`` (a long call is likely to go on for a while)."""
        if elapsed_s < 1:
            return self.median_s
        beyond = 1 - _NORMAL.cdf(math.log(elapsed_s / self.median_s) / self.spread)
        if beyond <= 1e-12:
            return self.median_s * 0.1  # far beyond anything seen: it cannot last much longer
        quantile = _NORMAL.inv_cdf(min(1 - beyond / 2, 1 - 1e-12))
        return max(self.median_s * math.exp(self.spread * quantile) - elapsed_s, 0.0)


def learn(lengths_s: Sequence[float], slot_s: float) -> Typical:
    """The typical duration from completed calls' lengths (seconds); the slot length with fewer than ``MIN_SAMPLES``."""
    usable = [x for x in lengths_s if x > 0]
    if len(usable) < MIN_SAMPLES:
        return Typical(slot_s, DEFAULT_SPREAD, len(usable))
    logs = sorted(math.log(x) for x in usable)
    median = math.exp(statistics.median(logs))
    # Robust spread: the interquartile range of the logarithms over that of a standard normal distribution.
    q1, _, q3 = statistics.quantiles(logs, n=4, method="inclusive")
    spread = (q3 - q1) / 1.349 if q3 > q1 else DEFAULT_SPREAD
    return Typical(median, min(max(spread, 0.05), MAX_SPREAD), len(usable))


@dataclass(frozen=True)
class Ahead:
    """Someone the agent will probably attend first: waiting (``chance`` 1) or booked earlier and not yet joined."""

    start: datetime
    chance: float = 1.0


def show_chance(start: datetime, now: datetime, no_show_rate: float = NO_SHOW_RATE) -> float:
    """The chance that someone booked at ``start`` who has not joined by ``now`` still comes."""
    return 0.0 if now > start + LATE_GRACE else 1 - no_show_rate


def people_ahead(
    own: Waiting, waiting: Iterable[Waiting], not_joined: Iterable[datetime], now: datetime
) -> list[Ahead]:
    """Who the agent will probably attend before ``own``, in that order: the waiting people ahead in the queue, and
    those booked earlier (``not_joined``: their slot starts) who may still join and would go first."""
    ahead = [Ahead(w.start) for w in ordered(waiting) if w.key < own.key]
    ahead += [Ahead(start, chance) for start in not_joined if start < own.start and (chance := show_chance(start, now))]
    return sorted(ahead, key=lambda a: a.start)


def estimate_wait(
    now: datetime,
    own_start: datetime,
    typical: Typical,
    current_elapsed_s: float | None,
    ahead: Sequence[Ahead] = (),
) -> int:
    """Seconds until the agent admits this citizen.

    ``current_elapsed_s``: how long the agent's current call has lasted (None: the agent is not in a call).
    ``ahead``: the people before this citizen, in queue order.
    """
    busy = current_elapsed_s is not None
    t = typical.remaining_s(current_elapsed_s) if current_elapsed_s is not None else 0.0
    for person in ahead:
        begins = max(t, (person.start - now).total_seconds())
        t = begins + person.chance * typical.mean_s
    t = max(t, (own_start - now).total_seconds())
    if busy or any(p.chance >= 1 for p in ahead):
        t = max(t, MIN_WAIT_BUSY_S)
    return max(round(t), 0)


@dataclass(frozen=True)
class OwnAppointment:
    """One of an agent's appointments, for whether they are free to take someone else's citizen."""

    start: datetime
    ended: bool  # its call ended or its outcome is recorded: it no longer holds the agent


def agent_free(in_call: bool, own: Iterable[OwnAppointment], now: datetime, duration: timedelta) -> bool:
    """Free to take another agent's citizen: not in a call, and no appointment of their own (not yet ended) starting
    within ``duration`` from now or already started."""
    if in_call:
        return False
    return not any(not a.ended and a.start < now + duration for a in own)


def overflowing(waiting: Waiting, now: datetime, agent_busy: bool, after: timedelta) -> bool:
    """Whether a waiting citizen goes to the "waiting for anyone" list: their agent is busy and it is at least
    ``after`` past their start."""
    return agent_busy and now - waiting.start >= after
