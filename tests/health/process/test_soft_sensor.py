"""The soft sensor: causal pairing with the analyser, accuracy, interval coverage."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.health.process import SoftSensor, analyser_pairs


def plant(n: int, seed: int, delay: int = 5, every: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Inputs, and an analyser that samples quality every `every` rows and reports it
    `delay` rows later (held in between), quality = a function of the inputs plus noise."""
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(scale=0.2, size=(n, 3)), axis=0) * 0.1 + rng.normal(size=(n, 3))
    quality = 2.0 * x[:, 0] - x[:, 2] + 0.1 * rng.normal(size=n)
    reading = np.zeros(n)
    held = 0.0
    for t in range(n):
        if t % every == 0 and t - delay >= 0:
            held = quality[t - delay]
        reading[t] = held
    return x, reading[:, None]


def test_pairs_point_back_by_the_dead_time() -> None:
    x, r = plant(100, 0, delay=5)
    rows, y = analyser_pairs(x, r, delay=5)
    assert np.all(rows % 5 == 0)  # samples drawn every 5 rows, reported 5 rows later
    np.testing.assert_allclose(y[:, 0], r[rows + 5, 0])


def test_predicts_quality_with_honest_intervals() -> None:
    x, r = plant(3000, 1)
    rows, y = analyser_pairs(x, r, delay=5)
    sensor = SoftSensor(windows=(1,), coverage=0.9).fit(x, rows, y)
    xt, rt = plant(3000, 2)
    test_rows, yt = analyser_pairs(xt, rt, delay=5)
    point, low, high = sensor.predict(xt)
    rmse = np.sqrt(np.mean((point[test_rows] - yt) ** 2))
    assert rmse < 0.2 * yt.std()
    inside = np.mean((yt >= low[test_rows]) & (yt <= high[test_rows]))
    assert 0.8 <= inside <= 0.97


def test_a_prediction_never_reads_later_rows() -> None:
    x, r = plant(600, 3)
    rows, y = analyser_pairs(x, r, delay=5)
    sensor = SoftSensor().fit(x, rows, y)
    changed = x.copy()
    changed[300:] += 10.0
    np.testing.assert_allclose(sensor.predict(x)[0][:300], sensor.predict(changed)[0][:300])


def test_too_few_readings_are_refused() -> None:
    with pytest.raises(ValueError, match="readings"):
        SoftSensor(folds=5).fit(np.ones((20, 2)), np.arange(5), np.ones(5))
