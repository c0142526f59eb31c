import numpy as np
import pytest

from jayul.health.rul import MondrianResidualCalibrator
from jayul.health.rul.conformal import weighted_quantiles


def test_weighted_quantiles_of_equal_weights_are_plain_quantiles() -> None:
    values = np.arange(1000, dtype=float)
    q = weighted_quantiles(values, np.ones(1000), np.array([0.1, 0.5, 0.9]))
    np.testing.assert_allclose(q, [99, 499, 900], atol=2)


def test_calibration_recovers_known_gaussian_noise() -> None:
    rng = np.random.default_rng(0)
    sigma = 5.0
    predicted = rng.uniform(0, 120, 20_000)
    true = predicted + rng.normal(0, sigma, predicted.size)
    calibrator = MondrianResidualCalibrator(levels=(0.1, 0.5, 0.9), n_bins=3)
    calibrator.fit(predicted, true, np.ones(predicted.size))
    # Every bin sees the same noise: offsets near -/+ 1.2816 sigma.
    np.testing.assert_allclose(calibrator.offsets_[:, 0], -1.2816 * sigma, atol=0.4)
    np.testing.assert_allclose(calibrator.offsets_[:, 2], 1.2816 * sigma, atol=0.4)

    fresh = rng.uniform(10, 110, 5_000)
    fresh_true = fresh + rng.normal(0, sigma, fresh.size)
    grid = calibrator.grid(fresh)
    coverage = np.mean((grid[:, 0] <= fresh_true) & (fresh_true <= grid[:, 2]))
    assert coverage == pytest.approx(0.8, abs=0.03)


def test_mondrian_bins_follow_noise_that_grows_with_the_prediction() -> None:
    rng = np.random.default_rng(1)
    predicted = rng.uniform(5, 125, 30_000)
    true = predicted + rng.normal(0, 0.1 * predicted)
    calibrator = MondrianResidualCalibrator(levels=(0.1, 0.5, 0.9), n_bins=4)
    calibrator.fit(predicted, true, np.ones(predicted.size))
    widths = calibrator.offsets_[:, 2] - calibrator.offsets_[:, 0]
    assert np.all(np.diff(widths) > 0)
    for low, high in ((5, 30), (100, 125)):  # both ends keep about 80 %
        fresh = rng.uniform(low, high, 4_000)
        fresh_true = fresh + rng.normal(0, 0.1 * fresh)
        grid = calibrator.grid(fresh)
        inside = np.mean((grid[:, 0] <= fresh_true) & (fresh_true <= grid[:, 2]))
        assert 0.72 <= inside <= 0.88


def test_grid_is_monotone_and_median_is_the_point() -> None:
    rng = np.random.default_rng(2)
    predicted = rng.uniform(0, 100, 2_000)
    true = predicted + 30 + rng.exponential(10, predicted.size)  # always above: skewed
    calibrator = MondrianResidualCalibrator().fit(predicted, true, np.ones(predicted.size))
    grid = calibrator.grid(np.array([10.0, 50.0, 90.0]))
    assert np.all(np.diff(grid, axis=1) >= 0)
    median = list(calibrator.levels).index(0.5)
    np.testing.assert_allclose(grid[:, median], [10.0, 50.0, 90.0])
