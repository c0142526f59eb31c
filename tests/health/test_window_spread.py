"""The moving-window level-and-spread monitor."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.health.window_spread import WindowSpreadDetector


def normal(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 5))


def test_a_small_level_shift_stands_out_and_names_its_signal() -> None:
    d = WindowSpreadDetector(window=20).fit(normal(2000, 0))
    quiet = d.score(normal(500, 1))[19:].max()
    test = normal(500, 2)
    test[200:, 3] += 1.5  # 1.5 standard deviations: lost in one row, clear over 20
    scores = d.score(test)
    assert np.mean(scores[230:] > quiet) > 0.9
    e = d.explain(test)
    assert np.mean(e.shares[230:].argmax(axis=1) == 3) > 0.9
    assert np.all(e.directions[230:, 3] == 1)


def test_a_frozen_signal_is_seen_by_its_spread() -> None:
    d = WindowSpreadDetector(window=10).fit(normal(2000, 0))
    test = normal(300, 3)
    test[100:, 1] = test[100, 1]  # a valve held still: level normal, no jitter
    e = d.explain(test)
    assert np.all(e.shares[120:].argmax(axis=1) == 1)
    assert np.all(e.directions[120:, 1] == -1)  # narrower than normal


def test_window_and_rows_are_checked() -> None:
    with pytest.raises(ValueError, match="window"):
        WindowSpreadDetector(window=1).fit(normal(100, 0))
    with pytest.raises(ValueError, match="at least"):
        WindowSpreadDetector(window=30).fit(normal(40, 0))
