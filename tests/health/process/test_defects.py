"""The defect classifier: classes, calibrated probabilities, per-class reasons."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.health.process.defects import DefectClassifier


def parts(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three defect kinds; 'scratch' is long (feature 0), 'stain' dark (feature 2)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = np.full(n, "other", dtype=object)
    y[X[:, 0] > 0.7] = "scratch"
    y[X[:, 2] < -0.7] = "stain"
    return X, y.astype(str)


def test_learns_the_classes_and_names_the_driving_feature() -> None:
    X, y = parts(1500, 0)
    clf = DefectClassifier(n_estimators=100).fit(X, y, ["length", "width", "luminosity", "x"])
    Xt, yt = parts(600, 1)
    assert np.mean(clf.predict(Xt) == yt) > 0.9
    proba = clf.predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    scratch = np.flatnonzero((clf.predict(Xt) == "scratch") & (yt == "scratch"))[:20]
    reasons = clf.explain(Xt[scratch], top=1)
    assert all(r.label == "scratch" and r.drivers[0][0] == "length" for r in reasons)
    assert "scratch" in reasons[0].sentence()


def test_probabilities_are_calibrated_on_fresh_parts() -> None:
    X, y = parts(2000, 2)
    clf = DefectClassifier(n_estimators=100).fit(X, y, ["a", "b", "c", "d"])
    Xt, yt = parts(2000, 3)
    proba = clf.predict_proba(Xt)
    confident = proba.max(axis=1)
    right = clf.predict(Xt) == yt
    # the mean stated confidence matches the share right within a few points
    assert abs(float(confident.mean()) - float(right.mean())) < 0.05


def test_one_class_is_refused() -> None:
    with pytest.raises(ValueError, match="two defect classes"):
        DefectClassifier().fit(np.ones((10, 2)), ["a"] * 10, ["x", "y"])
