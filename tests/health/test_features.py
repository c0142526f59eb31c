"""Trailing features: window means, the slow-signal screen and the drift-widened unit."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.health.features import (
    TrailingFeatures,
    drift_offset_squared,
    lag1_autocorrelation,
    trailing_mean,
)


def test_trailing_mean_uses_fewer_rows_at_the_start() -> None:
    X = np.arange(1.0, 6.0)[:, None]
    np.testing.assert_allclose(trailing_mean(X, 3)[:, 0], [1.0, 1.5, 2.0, 3.0, 4.0])


def test_lag1_autocorrelation_tells_a_random_walk_from_noise() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(2000, 1))
    walk = np.cumsum(noise, axis=0)
    assert abs(lag1_autocorrelation(noise)[0]) < 0.1
    assert lag1_autocorrelation(walk)[0] > 0.95


def test_drift_offset_of_a_line_by_hand() -> None:
    # 5 rows rising by 2 per row: centre 2 rows before the last; horizon 3 rows
    rows = (2.0 * np.arange(5.0))[:, None]
    c, h = 2.0, 3.0
    expected = 2.0**2 * (c * c + c * h + h * h / 3.0)
    np.testing.assert_allclose(drift_offset_squared(rows, h), [expected])
    # the same mean squared offset, computed over a fine grid of distances
    d = np.linspace(0.0, h, 200_001)
    np.testing.assert_allclose(expected, np.mean((2.0 * (c + d)) ** 2), rtol=1e-4)


def test_drift_offset_is_zero_without_trend() -> None:
    rows = np.array([[1.0, 5.0], [-1.0, 5.0], [1.0, 5.0], [-1.0, 5.0], [1.0, 5.0]])
    np.testing.assert_allclose(drift_offset_squared(rows, 100.0), [0.0, 0.0], atol=1e-12)


def _trend_and_noise(rows: int = 400, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(rows, 2))
    noise[:, 1] += 0.01 * np.arange(rows)  # the second signal creeps 4 sd every 400 rows
    return noise


def test_drift_horizon_widens_only_a_trending_signal() -> None:
    X = _trend_and_noise()
    plain = TrailingFeatures(window=5, slow_autocorr=0.99).fit(X)
    wide = TrailingFeatures(window=5, slow_autocorr=0.99, drift_horizon=400.0).fit(X)
    ratio = wide.scale_ / plain.scale_
    assert ratio[0] < 1.05  # no trend: about the same unit
    assert ratio[1] > 3.0  # the creeping signal's unit covers its wander over 400 more rows


def test_a_zero_horizon_is_the_plain_unit_exactly() -> None:
    X = _trend_and_noise()
    plain = TrailingFeatures(window=5).fit(X)
    zero = TrailingFeatures(window=5, drift_horizon=0.0).fit(X)
    np.testing.assert_array_equal(plain.scale_, zero.scale_)


def test_the_widened_unit_quiets_the_drift_after_the_fit() -> None:
    # the trend goes on past the fit: the widened unit keeps its z within a few units
    X = _trend_and_noise(800)
    plain = TrailingFeatures(window=10, slow_autocorr=0.99).fit(X[:400])
    wide = TrailingFeatures(window=10, slow_autocorr=0.99, drift_horizon=400.0).fit(X[:400])
    z_plain = plain.transform(X)[400:, 1]
    z_wide = wide.transform(X)[400:, 1]
    assert np.abs(z_plain[-50:]).mean() > 4.0
    assert np.abs(z_wide[-50:]).mean() < 2.0


def test_a_negative_horizon_is_refused() -> None:
    with pytest.raises(ValueError, match="drift_horizon"):
        TrailingFeatures(drift_horizon=-1.0).fit(np.ones((10, 2)))
