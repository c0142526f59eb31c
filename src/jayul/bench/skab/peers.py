"""The peers scored beside jayul's detector: River's HalfSpaceTrees and PyOD's IForest.

Both see the raw rows (no trailing features: that is jayul's own modelling), are fitted on the
training part only, and are wrapped as `Detector`s so the same threshold rule and hysteresis
turn their scores into alarms.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from jayul.health.detector import Detector, Explanation, FloatArray, as_rows, shares_from_parts


class HalfSpaceTreesPeer(Detector):
    """River `anomaly.HalfSpaceTrees`, inputs min/max-scaled to [0, 1] on the training part.

    It learns the training rows one by one and then only scores (no learning on test rows, as
    the protocol fits on the training part alone). Rows are scored independently: causal.
    """

    def __init__(
        self, n_trees: int = 10, height: int = 8, window_size: int = 250, seed: int = 42
    ) -> None:
        self.n_trees = n_trees
        self.height = height
        self.window_size = window_size
        self.seed = seed

    def fit(self, X: FloatArray) -> Self:
        from river import anomaly

        X = as_rows(X)
        self.low_ = X.min(axis=0)
        self.span_ = np.maximum(X.max(axis=0) - self.low_, 1e-12)
        self.model_: Any = anomaly.HalfSpaceTrees(
            n_trees=self.n_trees,
            height=self.height,
            window_size=min(self.window_size, len(X)),
            seed=self.seed,
        )
        for row in self._dicts(X):
            self.model_.learn_one(row)  # type: ignore[no-untyped-call]
        self.n_signals_ = X.shape[1]
        self.fitted_ = True
        return self

    def _dicts(self, X: FloatArray) -> list[dict[int, float]]:
        scaled = np.clip((X - self.low_) / self.span_, 0.0, 1.0)
        return [dict(enumerate(row.tolist())) for row in scaled]

    def score(self, X: FloatArray) -> FloatArray:
        self._check_fitted()
        rows = self._dicts(as_rows(X, self.n_signals_))
        return np.array([self.model_.score_one(r) for r in rows], dtype=np.float64)

    def explain(self, X: FloatArray) -> Explanation:
        # HalfSpaceTrees has no per-feature attribution; distance from the training range is
        # the honest fallback for a peer that is only benchmarked
        X = as_rows(X, self.n_signals_)
        z = (X - (self.low_ + self.span_ / 2)) / self.span_
        return Explanation(shares_from_parts(z * z), np.sign(z).astype(np.int8), z)


class IsolationForestPeer(Detector):
    """PyOD `IForest` on the raw rows."""

    def __init__(self, n_estimators: int = 100, random_state: int = 0) -> None:
        self.n_estimators = n_estimators
        self.random_state = random_state

    def fit(self, X: FloatArray) -> Self:
        from pyod.models.iforest import IForest

        X = as_rows(X)
        self.model_: Any = IForest(
            n_estimators=self.n_estimators, random_state=self.random_state, n_jobs=1
        ).fit(X)
        self.center_ = X.mean(axis=0)
        self.spread_ = np.maximum(X.std(axis=0), 1e-12)
        self.n_signals_ = X.shape[1]
        self.fitted_ = True
        return self

    def score(self, X: FloatArray) -> FloatArray:
        self._check_fitted()
        result: FloatArray = self.model_.decision_function(as_rows(X, self.n_signals_))
        return result

    def explain(self, X: FloatArray) -> Explanation:
        X = as_rows(X, self.n_signals_)
        z = (X - self.center_) / self.spread_
        return Explanation(shares_from_parts(z * z), np.sign(z).astype(np.int8), z)
