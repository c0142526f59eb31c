"""Mean-shift changepoints: found at a step, quiet on noise, causal."""

from __future__ import annotations

import numpy as np

from jayul.bench.skab.changepoint import MeanShiftChangepoints


def test_step_up_and_back_are_found_quickly() -> None:
    rng = np.random.default_rng(0)
    train = rng.normal(size=(400, 3))
    live = rng.normal(size=(600, 3))
    live[200:400, 1] += 3.0
    found = np.flatnonzero(MeanShiftChangepoints(window=10, refractory=30).fit(train).detect(live))
    assert any(200 <= i < 215 for i in found)
    assert any(400 <= i < 415 for i in found)
    assert len(found) <= 4


def test_causal() -> None:
    rng = np.random.default_rng(1)
    d = MeanShiftChangepoints(window=5).fit(rng.normal(size=(300, 2)))
    live = rng.normal(size=(300, 2))
    full = d.detect(live)
    changed = live.copy()
    changed[150:] += 5.0
    np.testing.assert_array_equal(d.detect(changed)[:150], full[:150])
    np.testing.assert_array_equal(d.detect(live[:100]), full[:100])


def test_slow_signals_are_left_out() -> None:
    rng = np.random.default_rng(2)
    train = rng.normal(size=(400, 2))
    train[:, 1] = np.cumsum(rng.normal(scale=0.1, size=400))  # a drifting temperature
    live = rng.normal(size=(300, 2))
    live[:, 1] = train[-1, 1] + np.linspace(0, 50, 300)  # it drifts fast: not a changepoint
    assert MeanShiftChangepoints(window=10).fit(train).detect(live).sum() <= 1
