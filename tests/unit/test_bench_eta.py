"""The ETA benchmark's simulated day: replayable from its seed, and the model beats the naive estimate on it."""

from __future__ import annotations

from bench.eta import percentiles, simulate


def test_the_simulated_day_is_the_same_for_the_same_seed() -> None:
    assert simulate(oracle=False) == simulate(oracle=False)


def test_the_model_beats_slot_start_minus_now() -> None:
    samples = simulate(oracle=False)

    model = percentiles([s.model for s in samples])
    naive = percentiles([s.naive for s in samples])

    assert model[0] < naive[0]
    assert model[1] < naive[1]
