"""PyOD's IsolationForest on trailing features, explained by occlusion of each signal."""

from __future__ import annotations

from typing import Any

import numpy as np

from jayul.health.detector import FloatArray
from jayul.health.feature_detector import FeatureDetector


class IsolationForestDetector(FeatureDetector):
    """Isolation forest (PyOD `IForest`) over standardised trailing features.

    Score: PyOD's decision function shifted so the training median is 0 and clipped below at
    0. A signal's part is how much the score drops when that signal alone is put back to its
    training centre (occlusion through the fitted forest itself), rescaled so the parts add
    up to the score.
    """

    def __init__(
        self,
        window: int = 10,
        slow_autocorr: float = 0.8,
        slow_mode: str = "rate",
        n_estimators: int = 100,
        max_samples: int = 256,
        random_state: int = 0,
    ) -> None:
        self.window = window
        self.slow_autocorr = slow_autocorr
        self.slow_mode = slow_mode
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.random_state = random_state

    def _fit_features(self, Z: FloatArray) -> None:
        from pyod.models.iforest import IForest

        self.model_: Any = IForest(
            n_estimators=self.n_estimators,
            max_samples=min(self.max_samples, len(Z)),
            random_state=self.random_state,
            n_jobs=1,
        ).fit(Z)
        self.offset_ = float(np.median(self.model_.decision_function(Z)))

    def _raw(self, Z: FloatArray) -> FloatArray:
        result: FloatArray = np.maximum(self.model_.decision_function(Z) - self.offset_, 0.0)
        return result

    def _parts(self, Z: FloatArray) -> FloatArray:
        total = self._raw(Z)
        drops = np.empty_like(Z)
        for j in range(Z.shape[1]):
            occluded = Z.copy()
            occluded[:, j] = 0.0  # the training centre in z units
            drops[:, j] = np.maximum(total - self._raw(occluded), 0.0)
        sums = drops.sum(axis=1, keepdims=True)
        even = np.full_like(drops, 1.0 / Z.shape[1])
        shares = np.where(sums > 0, drops / np.where(sums > 0, sums, 1.0), even)
        result: FloatArray = shares * total[:, None]
        return result

    def score(self, X: FloatArray) -> FloatArray:
        # the score itself needs one forest pass, not the d+1 passes of the parts
        self._check_fitted()
        from jayul.health.detector import as_rows

        return self._raw(self.features_.transform(as_rows(X, self.n_signals_)))
