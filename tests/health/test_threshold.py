"""Thresholds calibrated on training rows, and hysteresis: one event, one alert."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.bench.skab.detectors.zscore import ZScoreDetector
from jayul.health.threshold import Hysteresis, PotThreshold, QuantileThreshold, alarm_starts


def rows(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 4))


def test_quantile_threshold_is_the_training_quantile_times_margin() -> None:
    train = rows(500, 0)
    t = QuantileThreshold(ZScoreDetector(window=3), quantile=0.95, margin=1.2).fit(train)
    scores = t.detector.score(train)[5:]
    assert t.level_ == pytest.approx(np.quantile(scores, 0.95) * 1.2)
    assert np.mean(scores > t.level_) < 0.05


def test_pot_threshold_extrapolates_beyond_the_quantile() -> None:
    train = rows(2000, 1)
    t = PotThreshold(ZScoreDetector(window=3), risk=1e-4).fit(train)
    scores = t.detector.score(train)[5:]
    assert t.level_ > np.quantile(scores, 0.98)
    fresh = t.detector.score(rows(2000, 2))
    assert np.mean(fresh > t.level_) < 0.01


def test_hysteresis_one_event_one_alert() -> None:
    level = 1.0
    scores = np.zeros(100)
    scores[30:60] = 2.0
    scores[[40, 45, 50]] = 0.5  # dips inside the event must not split it
    scores[80] = 5.0  # a lone spike must not raise
    h = Hysteresis(raise_k=3, raise_n=4, clear_m=5)
    alarm = h.update(scores, level)
    assert alarm_starts(alarm).tolist() == [32]  # raised at the 3rd row above
    assert alarm[59] == 1 and alarm[63] == 1 and alarm[64] == 0  # clears on the 5th row below


def test_hysteresis_state_carries_over_chunks() -> None:
    scores = np.random.default_rng(3).exponential(size=300)
    whole = Hysteresis(raise_k=2, raise_n=3, clear_m=4).update(scores, 1.5)
    h = Hysteresis(raise_k=2, raise_n=3, clear_m=4)
    parts = [h.update(scores[a:b], 1.5) for a, b in ((0, 10), (10, 11), (11, 300))]
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_lower_clear_level() -> None:
    scores = np.array([2.0, 2.0, 0.8, 0.8, 0.8, 0.2, 0.2])
    h = Hysteresis(raise_k=2, raise_n=2, clear_m=2, clear_ratio=0.5)
    assert h.update(scores, 1.0).tolist() == [0, 1, 1, 1, 1, 1, 0]


def test_bad_hysteresis_is_rejected() -> None:
    with pytest.raises(ValueError):
        Hysteresis(raise_k=3, raise_n=2)


def _wandering(n: int, seed: int) -> np.ndarray:
    """Six signals driven by two slow AR(1) states (rho 0.99) plus noise: a continuous
    process whose few hours of commissioning hold few independent states."""
    rng = np.random.default_rng(seed)
    state = np.zeros((n, 2))
    for t in range(1, n):
        state[t] = 0.99 * state[t - 1] + 0.14 * rng.normal(size=2)
    mixing = rng.normal(size=(2, 6))
    return state @ mixing + 0.3 * rng.normal(size=(n, 6))


def test_held_out_levels_hold_on_a_wandering_process_where_in_sample_levels_do_not() -> None:
    from jayul.health.defaults import default_detector

    rates: dict[str, list[float]] = {"in-sample": [], "held-out": []}
    for seed in range(4):
        X = _wandering(1160, seed)
        train, later = X[:160], X[160:]  # 8 h of 3-minute rows, then 50 h
        in_sample = QuantileThreshold(default_detector(), 0.999, 1.2).fit(train)
        held = QuantileThreshold(default_detector(), 0.999, 1.2).fit_held_out(train, 4)
        assert held.level_ > in_sample.level_
        for name, threshold in (("in-sample", in_sample), ("held-out", held)):
            rates[name].append(float(threshold.above(later).mean()))
    # the later hours cross an in-sample level far more often than a held-out one
    assert np.mean(rates["held-out"]) < 0.5 * np.mean(rates["in-sample"]), rates


def test_held_out_fit_falls_back_to_in_sample_on_too_few_rows_or_folds() -> None:
    X = np.random.default_rng(0).normal(size=(40, 3))
    for folds in (0, 1, 30):
        a = QuantileThreshold(ZScoreDetector(), 0.99).fit_held_out(X, folds)
        assert a.level_ == QuantileThreshold(ZScoreDetector(), 0.99).fit(X).level_
