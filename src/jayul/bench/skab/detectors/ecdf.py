"""Empirical tail probabilities per signal, as ECOD does, with the CDFs frozen at fit time.

PyOD's ECOD recomputes its CDFs on the training rows plus the scored batch, so a row's score
depends on later rows of the batch; this version uses only the training rows and is causal.
"""

from __future__ import annotations

import numpy as np

from jayul.health.detector import FloatArray
from jayul.health.feature_detector import FeatureDetector


class EcdfDetector(FeatureDetector):
    """Score = sum over signals of -log(tail probability) of the trailing feature.

    The tail probability is the smaller of the left and right empirical tail of the training
    features (with +1 smoothing, so it is never 0); a signal's part is its -log tail minus
    the value at the median (log 2), so normal values contribute about nothing.
    """

    def __init__(
        self,
        window: int = 10,
        slow_autocorr: float = 0.8,
        slow_mode: str = "rate",
    ) -> None:
        self.window = window
        self.slow_autocorr = slow_autocorr
        self.slow_mode = slow_mode

    def _fit_features(self, Z: FloatArray) -> None:
        self.sorted_ = np.sort(Z, axis=0)

    def _parts(self, Z: FloatArray) -> FloatArray:
        n = len(self.sorted_)
        parts = np.empty_like(Z)
        for j in range(Z.shape[1]):
            column = self.sorted_[:, j]
            below = np.searchsorted(column, Z[:, j], side="right")
            above = n - np.searchsorted(column, Z[:, j], side="left")
            tail = (np.minimum(below, above) + 1.0) / (n + 2.0)
            parts[:, j] = np.maximum(-np.log(tail) - np.log(2.0), 0.0)
        return parts
