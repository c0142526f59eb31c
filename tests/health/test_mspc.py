"""PCA / dynamic PCA monitoring: control limits by hand, contributions, dynamics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from jayul.health.mspc import MspcDetector, lagged, spe_limit, t2_limit


def correlated_rows(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 2))
    mix = np.array([[1.0, 0.5, 0.0, 0.8, 0.2, 0.0], [0.0, 0.5, 1.0, 0.1, 0.7, 0.9]])
    return latent @ mix + 0.1 * rng.normal(size=(n, 6))


def test_t2_limit_matches_the_f_distribution_by_hand() -> None:
    # the data README's baseline: k = 31 components on n = 500 rows, 99 %: 57.02
    assert t2_limit(31, 500, 0.99) == pytest.approx(57.02, abs=0.01)
    k, n = 3, 50
    by_hand = k * (n**2 - 1) / (n * (n - k)) * stats.f.ppf(0.95, k, n - k)
    assert t2_limit(k, n, 0.95) == pytest.approx(by_hand)


def test_spe_limit_by_hand_for_equal_eigenvalues() -> None:
    # m equal discarded eigenvalues l: theta_i = m l^i, h0 = 1/3; the formula by hand
    m, lam, alpha = 4, 0.5, 0.99
    t1, t2, t3 = m * lam, m * lam**2, m * lam**3
    h0 = 1 - 2 * t1 * t3 / (3 * t2**2)
    c = stats.norm.ppf(alpha)
    expected = t1 * (c * np.sqrt(2 * t2 * h0**2) / t1 + 1 + t2 * h0 * (h0 - 1) / t1**2) ** (1 / h0)
    assert spe_limit(np.full(m, lam), alpha) == pytest.approx(expected)


def test_limits_hold_about_their_level_on_fresh_normal_rows() -> None:
    d = MspcDetector(n_components=2, alpha=0.99).fit(correlated_rows(2000, seed=1))
    share = float(np.mean(d.score(correlated_rows(4000, seed=2)) > 1.0))
    assert share < 0.03  # both statistics at 99 %: at most about 2 % together


def test_a_step_on_one_signal_is_contributed_by_that_signal() -> None:
    d = MspcDetector(n_components=2).fit(correlated_rows(1000))
    test = correlated_rows(200, seed=3)
    test[100:, 4] += 1.5
    t2_parts, spe_parts = d.contributions(test)
    parts = (t2_parts + spe_parts)[100:]
    assert np.all(d.score(test)[100:] > 1.0)
    assert np.mean(parts.argmax(axis=1) == 4) > 0.95
    assert np.mean(d.explain(test).directions[100:, 4] == 1) > 0.95


def test_dynamic_pca_sees_a_broken_dynamic_that_static_pca_misses() -> None:
    rng = np.random.default_rng(4)
    n = 3000
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = 0.95 * x[t - 1] + rng.normal(scale=0.3)
    rows = np.column_stack([x, np.roll(x, 1) + 0.05 * rng.normal(size=n)])[1:]
    train, test = rows[:2000], rows[2000:].copy()
    test[:, 1] = np.roll(test[:, 1], -1)  # the second signal now leads instead of lagging
    static = MspcDetector(n_components=1).fit(train)
    dynamic = MspcDetector(n_components=3, lags=1).fit(train)
    assert np.mean(dynamic.score(test) > 1) > 5 * np.mean(static.score(test) > 1)


def test_lagged_blocks_are_current_then_older_rows() -> None:
    X = np.arange(8.0).reshape(4, 2)
    L = lagged(X, 1)
    np.testing.assert_array_equal(L[2], [4.0, 5.0, 2.0, 3.0])
    np.testing.assert_array_equal(L[0], [0.0, 1.0, 0.0, 1.0])  # the first row repeated


def test_too_few_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        MspcDetector(lags=5).fit(np.ones((4, 3)))
