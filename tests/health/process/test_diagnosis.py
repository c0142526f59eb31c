"""The fault classifier: learns labelled runs, names them on fresh rows, causally."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.health.process import FaultClassifier


def run(n: int, seed: int, shift: int | None = None, jitter: int | None = None) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, 4))
    if shift is not None:
        x[:, shift] += 2.0
    if jitter is not None:
        x[:, jitter] *= 3.0  # same level, wider spread
    return x


def test_names_a_step_and_a_random_variation() -> None:
    clf = FaultClassifier(window=10, n_estimators=30).fit(
        {0: run(400, 0), 1: run(400, 1, shift=2), 2: run(400, 2, jitter=0)}
    )
    assert np.mean(clf.predict(run(300, 3, shift=2))[20:] == 1) > 0.9
    assert np.mean(clf.predict(run(300, 4, jitter=0))[20:] == 2) > 0.8
    assert np.mean(clf.predict(run(300, 5))[20:] == 0) > 0.8
    assert clf.predict_proba(run(10, 6)).shape == (10, 3)


def test_rows_are_classified_causally() -> None:
    clf = FaultClassifier(window=5, n_estimators=10).fit({0: run(100, 0), 1: run(100, 1, 1)})
    x = run(60, 7)
    changed = x.copy()
    changed[40:] += 5.0
    np.testing.assert_array_equal(clf.predict_proba(x)[:40], clf.predict_proba(changed)[:40])


def test_needs_a_normal_run_and_a_fault() -> None:
    with pytest.raises(ValueError, match="normal"):
        FaultClassifier().fit({1: run(50, 0)})
    with pytest.raises(ValueError, match="at least one fault"):
        FaultClassifier().fit({0: run(50, 0)})
