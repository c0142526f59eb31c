"""Mahalanobis detector: correlated signals count once, the shrinkage stays in 0..1."""

from __future__ import annotations

import numpy as np

from jayul.bench.skab.detectors.mahalanobis import MahalanobisDetector, ledoit_wolf_shrinkage
from jayul.bench.skab.detectors.zscore import ZScoreDetector


def correlated_rows(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n, 4))
    rows[:, 1] = 0.95 * rows[:, 0] + 0.3 * rows[:, 1]  # signals 0 and 1 move together
    return rows


def test_shrinkage_is_small_for_plenty_of_rows_and_large_for_few() -> None:
    rows = correlated_rows(5000, 0)
    assert 0.0 <= ledoit_wolf_shrinkage(rows) < 0.05
    assert ledoit_wolf_shrinkage(rows[:6]) > ledoit_wolf_shrinkage(rows)
    assert ledoit_wolf_shrinkage(np.zeros((10, 3))) == 1.0


def test_breaking_a_correlation_scores_higher_than_following_it() -> None:
    train = correlated_rows(2000, 1)
    d = MahalanobisDetector(window=1, slow_mode="ignore").fit(train)
    along = np.array([[2.0, 2.0, 0.0, 0.0]])  # the usual joint move
    against = np.array([[2.0, -2.0, 0.0, 0.0]])  # the two signals disagree
    assert d.score(against)[0] > 3.0 * d.score(along)[0]
    # the z-score mean cannot tell them apart
    z = ZScoreDetector(window=1, slow_mode="ignore").fit(train)
    assert abs(z.score(against)[0] - z.score(along)[0]) < 0.5 * z.score(along)[0]
