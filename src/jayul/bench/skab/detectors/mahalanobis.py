"""Mahalanobis distance of the trailing means, with a shrunk covariance."""

from __future__ import annotations

import numpy as np

from jayul.health.detector import FloatArray
from jayul.health.feature_detector import FeatureDetector


def ledoit_wolf_shrinkage(Z: FloatArray) -> float:
    """Ledoit-Wolf intensity (0..1) for shrinking the covariance of `Z`'s rows toward a scaled
    identity: how much of the sample covariance's spread is estimation noise."""
    n, d = Z.shape
    if n < 2 or d < 2:
        return 1.0
    centred = Z - Z.mean(axis=0)
    sample = centred.T @ centred / n
    mu = float(np.trace(sample)) / d
    distance = float(((sample - mu * np.eye(d)) ** 2).sum())
    if distance <= 0.0:
        return 1.0
    outer = np.einsum("ni,nj->nij", centred, centred)
    noise = float(((outer - sample) ** 2).sum()) / (n * n)
    return float(min(max(noise / distance, 0.0), 1.0))


class MahalanobisDetector(FeatureDetector):
    """Score = squared Mahalanobis distance of the standardised trailing features.

    A fault that moves several signals at once (a valve closing shifts flow, pressure and the
    pump's current together) adds up here, as in the z-score mean, but signals that normally
    move together (the two accelerometers) count once, not twice. Training parts are short and
    trailing means are strongly autocorrelated, so the covariance is shrunk toward the identity
    by the Ledoit-Wolf intensity computed on one row per window (about independent means),
    which is larger than the intensity the autocorrelated rows would suggest.
    Per-signal parts: z_j (P z)_j, negatives clipped (as PCA's T² contributions).
    """

    def __init__(
        self, window: int = 10, slow_autocorr: float = 0.8, slow_mode: str = "rate"
    ) -> None:
        self.window = window
        self.slow_autocorr = slow_autocorr
        self.slow_mode = slow_mode

    def _fit_features(self, Z: FloatArray) -> None:
        center = Z.mean(axis=0)
        centred = Z - center
        d = Z.shape[1]
        covariance = centred.T @ centred / max(len(Z) - 1, 1)
        self.shrinkage_ = ledoit_wolf_shrinkage(Z[:: max(self.window, 1)])
        mu = max(float(np.trace(covariance)) / d, 1e-9)
        shrunk = (1.0 - self.shrinkage_) * covariance + self.shrinkage_ * mu * np.eye(d)
        self.center_ = center
        self.precision_ = np.linalg.inv(shrunk + 1e-9 * np.eye(d))
        self.n_features_ = d

    def _parts(self, Z: FloatArray) -> FloatArray:
        centred = Z - self.center_
        quadratic = np.maximum(centred * (centred @ self.precision_), 0.0)
        result: FloatArray = quadratic / self.n_features_
        return result
