"""The waiting room's queue: order, the estimated wait, who is free to take someone else's citizen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.queue import (
    MIN_WAIT_BUSY_S,
    Ahead,
    OwnAppointment,
    Typical,
    Waiting,
    agent_free,
    estimate_wait,
    learn,
    ordered,
    overflowing,
    people_ahead,
    position_of,
    show_chance,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
SLOT = 15 * 60


def _w(aid: str, start_min: int, since_min: int) -> Waiting:
    return Waiting(aid, NOW + start_min * MIN, NOW + since_min * MIN)


def test_queue_is_by_slot_start_then_by_when_they_began_waiting() -> None:
    late_early_slot = _w("a", -15, -1)
    early_same_slot = _w("b", 0, -5)
    later_same_slot = _w("c", 0, -2)
    next_slot = _w("d", 15, -10)

    queue = ordered([next_slot, later_same_slot, late_early_slot, early_same_slot])

    assert [w.appointment_id for w in queue] == ["a", "b", "c", "d"]


def test_position_counts_the_people_ahead_and_misses_those_not_waiting() -> None:
    waiting = [_w("a", 0, -3), _w("b", 0, -1), _w("c", 15, -4)]

    third = position_of("c", waiting)
    first = position_of("a", waiting)

    assert third is not None
    assert third.position == 3
    assert [w.appointment_id for w in third.ahead] == ["a", "b"]
    assert first is not None
    assert first.position == 1
    assert first.ahead == ()
    assert position_of("z", waiting) is None


def test_typical_duration_is_the_slot_length_until_enough_calls_are_known() -> None:
    assert learn([600, 700], SLOT).median_s == SLOT
    learned = learn([600, 700, 720, 800, 5000], SLOT)
    assert round(learned.median_s) == 720
    assert learned.learned_from == 5


def test_one_very_long_call_does_not_drag_the_typical_duration() -> None:
    usual = [600.0 + i for i in range(20)]

    assert abs(learn([*usual, 36000], SLOT).median_s - learn(usual, SLOT).median_s) < 5


def test_a_call_that_overruns_still_has_some_time_left() -> None:
    typical = Typical(720)

    assert typical.remaining_s(0) == 720
    assert 0 < typical.remaining_s(360) < 720
    # Beyond the typical length the estimate does not drop to nothing: long calls tend to go on.
    assert typical.remaining_s(1500) > 120


def test_free_agent_and_nobody_ahead_waits_for_the_slot_start_only() -> None:
    typical = Typical(720)

    assert estimate_wait(NOW, NOW + 3 * MIN, typical, None) == 180
    assert estimate_wait(NOW, NOW - 3 * MIN, typical, None) == 0


def test_never_now_while_the_agent_is_busy() -> None:
    typical = Typical(720)

    assert estimate_wait(NOW, NOW - 10 * MIN, typical, current_elapsed_s=99999) >= MIN_WAIT_BUSY_S


def test_each_person_ahead_adds_a_call() -> None:
    typical = Typical(720, 0.5)
    alone = estimate_wait(NOW, NOW - MIN, typical, 300)
    behind_one = estimate_wait(NOW, NOW - MIN, typical, 300, [Ahead(NOW - 2 * MIN)])
    behind_maybe = estimate_wait(NOW, NOW - MIN, typical, 300, [Ahead(NOW - 2 * MIN, 0.5)])

    assert abs(behind_one - alone - typical.mean_s) <= 1
    assert alone < behind_maybe < behind_one


def test_someone_booked_earlier_who_has_not_come_long_after_their_start_is_not_counted() -> None:
    assert show_chance(NOW - 20 * MIN, NOW) == 0
    assert show_chance(NOW + 5 * MIN, NOW) == 0.9


def test_agent_is_free_without_a_call_and_without_an_own_appointment_soon() -> None:
    quarter = timedelta(minutes=15)

    assert agent_free(False, [OwnAppointment(NOW + 20 * MIN, False)], NOW, quarter)
    assert not agent_free(True, [], NOW, quarter)
    assert not agent_free(False, [OwnAppointment(NOW + 10 * MIN, False)], NOW, quarter)
    # Their own appointment that has already ended does not hold them.
    assert agent_free(False, [OwnAppointment(NOW - 10 * MIN, True)], NOW, quarter)
    assert not agent_free(False, [OwnAppointment(NOW - 10 * MIN, False)], NOW, quarter)


def test_overflow_only_past_the_office_limit_and_while_the_agent_is_busy() -> None:
    waiting = _w("a", -6, -8)

    assert overflowing(waiting, NOW, True, timedelta(minutes=5))
    assert not overflowing(waiting, NOW, False, timedelta(minutes=5))
    assert not overflowing(waiting, NOW, True, timedelta(minutes=7))
    assert overflowing(_w("b", 0, -1), NOW, True, timedelta(0))


def test_people_ahead_are_the_waiting_ones_before_and_those_booked_earlier_who_may_still_come() -> None:
    own = _w("me", 0, -1)
    waiting = [own, _w("a", -15, -3), _w("b", 0, -4), _w("c", 0, 0), _w("d", 15, -8)]

    ahead = people_ahead(own, waiting, [NOW - 11 * MIN, NOW - 30 * MIN, NOW + 15 * MIN], NOW - 2 * MIN)

    assert [(a.start - NOW, a.chance) for a in ahead] == [(-15 * MIN, 1.0), (-11 * MIN, 0.9), (0 * MIN, 1.0)]
