"""Naming a known fault from its signature: a classifier trained on labelled fault runs.

Each row is described causally by the row itself and, over its last `window` rows, each
signal's level and spread (standardised with the normal run), so a random variation that
leaves the level alone is still seen. Extremely randomised trees classify it: fast to fit on
a few thousand rows, no scaling assumptions, and probabilities a person can read. A fault the
classifier has never seen gets a low top probability; the detector's contributions then say
which variables drove the alarm.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import ExtraTreesClassifier

from jayul.health.detector import FloatArray, as_rows
from jayul.health.features import trailing_mean

_SPREAD_FLOOR = 1e-3


def window_features(X: FloatArray, mean: FloatArray, scale: FloatArray, window: int) -> FloatArray:
    """Per row: the standardised row, its trailing level and log spread over `window` rows."""
    Z = (X - mean) / scale
    level = trailing_mean(Z, window)
    spread = np.sqrt(np.maximum(trailing_mean(Z * Z, window) - level**2, 0.0))
    return np.hstack([Z, level, np.log(spread + _SPREAD_FLOOR)])


class FaultClassifier:
    """Which labelled condition (0 = normal, or a fault's label) each row most resembles."""

    def __init__(self, window: int = 20, n_estimators: int = 300, seed: int = 0) -> None:
        self.window = window
        self.n_estimators = n_estimators
        self.seed = seed

    def fit(self, runs: Mapping[int, FloatArray], normal: int = 0) -> Self:
        """Learn from labelled runs (label -> rows, each run in time order); `normal` labels
        the fault-free run, whose mean and spread standardise every signal."""
        if normal not in runs:
            raise ValueError(f"the runs need a normal run labelled {normal}")
        if len(runs) < 2:
            raise ValueError("the runs need at least one fault besides the normal run")
        base = as_rows(runs[normal])
        self.n_signals_ = base.shape[1]
        self.mean_ = base.mean(axis=0)
        sd = base.std(axis=0, ddof=1)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        features = [self.features(as_rows(x, self.n_signals_)) for x in runs.values()]
        labels = np.concatenate([np.full(len(x), k) for k, x in runs.items()])
        self.model_ = ExtraTreesClassifier(
            n_estimators=self.n_estimators, random_state=self.seed, n_jobs=1
        ).fit(np.vstack(features), labels)
        self.classes_: NDArray[np.int64] = self.model_.classes_.astype(np.int64)
        return self

    def features(self, X: FloatArray) -> FloatArray:
        return window_features(X, self.mean_, self.scale_, self.window)

    def predict_proba(self, X: FloatArray) -> FloatArray:
        """Probabilities (rows, classes) in the order of `classes_`; causal in the rows."""
        proba: FloatArray = self.model_.predict_proba(self.features(as_rows(X, self.n_signals_)))
        return proba

    def predict(self, X: FloatArray) -> NDArray[np.int64]:
        result: NDArray[np.int64] = self.classes_[self.predict_proba(X).argmax(axis=1)]
        return result
