"""The validation rule: synthetic faults on normal rows, F1 within a false-alarm budget."""

from __future__ import annotations

import numpy as np

from jayul.bench.skab.detectors.zscore import ZScoreDetector
from jayul.bench.skab.validation import AlarmConfig, Validation


def segments() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.normal(size=(400, 4)) for _ in range(4)]


def test_episodes_carry_a_step_fault_and_its_labels() -> None:
    v = Validation(segments(), magnitudes=(3.0,), draws=1)
    assert len(v.episodes) == 4
    assert len(Validation(segments(), magnitudes=(3.0,)).episodes) == 4 * 3  # three draws
    rows, truth = v.episodes[0]
    assert truth.sum() == v.fault_rows
    fault = rows[v.train_rows + v.fault_start : v.train_rows + v.fault_start + v.fault_rows, 0]
    assert abs(fault.mean()) > 2.0  # signal 0 of episode 0 is shifted by 3 sd


def test_the_rule_prefers_the_sensible_recipe_over_alarming_always() -> None:
    v = Validation(segments(), magnitudes=(2.0, 4.0))
    sensible = AlarmConfig("z", lambda: ZScoreDetector(window=5), margin=1.5)
    always = AlarmConfig("always", lambda: ZScoreDetector(window=5), quantile=0.0, margin=0.0)
    best, results = v.select([always, sensible])
    assert best.name == "z"
    by_name = {r.name: r for r in results}
    assert by_name["always"].far > 90.0
    assert by_name["z"].far <= v.max_far


def test_shared_scores_and_levels_give_exactly_each_recipes_own_alarm() -> None:
    v = Validation(segments(), magnitudes=(2.0,))
    recipes = [
        AlarmConfig("q", lambda: ZScoreDetector(window=5), margin=1.5),
        AlarmConfig("pot", lambda: ZScoreDetector(window=5), threshold="pot", clear_m=30),
        AlarmConfig("other", lambda: ZScoreDetector(window=10, aggregate="calibrated-max")),
    ]
    for _ in range(2):  # the second pass reads the cache
        for config in recipes:
            for k, (rows, _truth) in enumerate(v.episodes):
                alone = config.alarm(rows[: v.train_rows], rows)
                np.testing.assert_array_equal(v._alarm(config, k), alone)


def test_fault_kinds_cycle_over_the_episodes() -> None:
    v = Validation(segments(), magnitudes=(3.0,), draws=1)  # kinds: step, multi-step, multi-ramp
    a, b = v.train_rows + v.fault_start, v.train_rows + v.fault_start + v.fault_rows
    moved = [np.abs(rows[a:b].mean(axis=0)) > 1.5 for rows, _ in v.episodes]
    assert moved[0].sum() == 1  # a step on one signal
    assert 2 <= moved[1].sum() <= 4  # several signals at once
    assert moved[1][1]  # episode 1's own signal is among them
    ramp = v.episodes[2][0][a:b, 2]
    half = v.fault_rows // 2
    assert abs(ramp[:5].mean()) < abs(ramp[half:].mean())  # grows, then holds


def test_step_only_episodes_are_the_single_signal_steps() -> None:
    steps = Validation(segments(), magnitudes=(3.0,), draws=1, fault_kinds=("step",))
    a, b = steps.train_rows + steps.fault_start, steps.train_rows + steps.fault_start + 70
    for k, (rows, _) in enumerate(steps.episodes):
        assert (np.abs(rows[a:b].mean(axis=0)) > 1.5).sum() == 1
        assert abs(rows[a:b, k % 4].mean()) > 1.5
