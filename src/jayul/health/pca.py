"""PCA monitoring: Hotelling T² in the principal subspace plus Q (SPE) in the residual."""

from __future__ import annotations

import numpy as np

from jayul.health.detector import FloatArray
from jayul.health.feature_detector import FeatureDetector


class PcaDetector(FeatureDetector):
    """Classical multivariate statistical process control on trailing features.

    The principal components kept explain `variance` of the training features. T² measures
    how far a row is inside the normal subspace (in units of each component's spread), Q how
    far it is off it; the score is T²/k + Q/mean training Q, both about 1 on normal rows.
    Per-signal parts: T² split by the complete-decomposition contributions z_j (P z)_j
    (negatives clipped), Q by the squared residual of each signal.

    Per-signal deviations (the σ of an alert's reason) follow the part that dominates the
    row's score: off the normal subspace (Q), each signal's residual (its distance from what
    the normal pattern of the other signals predicts) in units of its training residual
    spread; inside it (T²), the feature itself. A wear shift that leaves a signal within its
    normal range but off its usual relation to the load is then several σ, as it should read,
    and not the fraction of the load swing's spread that the raw feature would show.

    `drift_horizon` (see `TrailingFeatures`) widens the unit of a signal whose training rows
    trend; a signal with no trend keeps its unit. Unlike a z-score, PCA does not simply weigh
    that signal less: T² within the kept components does not depend on a signal's unit, and
    the narrower share of variance can move the signal out of the kept components into Q,
    where its wander after the fit then counts in full.
    """

    def __init__(
        self,
        window: int = 10,
        slow_autocorr: float = 0.8,
        slow_mode: str = "rate",
        variance: float = 0.9,
        drift_horizon: float = 0.0,
    ) -> None:
        self.window = window
        self.slow_autocorr = slow_autocorr
        self.slow_mode = slow_mode
        self.variance = variance
        self.drift_horizon = drift_horizon

    def _fit_features(self, Z: FloatArray) -> None:
        center = Z.mean(axis=0)
        _, singular, vt = np.linalg.svd(Z - center, full_matrices=False)
        eigen = singular**2 / max(len(Z) - 1, 1)
        ratio = np.cumsum(eigen) / max(eigen.sum(), 1e-12)
        k = int(np.searchsorted(ratio, self.variance) + 1)
        k = min(k, Z.shape[1])
        self.center_ = center
        self.loadings_ = vt[:k].T  # (signals, k)
        self.eigen_ = np.maximum(eigen[:k], 1e-9)
        self.n_components_ = k
        # T² precision restricted to the principal subspace: P Λ^-1 Pᵀ
        self.t2_matrix_ = (self.loadings_ / self.eigen_) @ self.loadings_.T
        residual = self._residual(Z)
        self.q_scale_ = max(float((residual**2).sum(axis=1).mean()), 1e-9)
        # each signal's own residual spread; a signal the subspace reproduces exactly
        # (residual 0 in training) gets a floor, so its deviation stays finite
        self.residual_scale_ = np.maximum(residual.std(axis=0), 1e-6)

    def _residual(self, Z: FloatArray) -> FloatArray:
        centred = Z - self.center_
        result: FloatArray = centred - (centred @ self.loadings_) @ self.loadings_.T
        return result

    def _parts(self, Z: FloatArray) -> FloatArray:
        t2_parts, q_parts = self._split_parts(Z)
        result: FloatArray = t2_parts + q_parts
        return result

    def _split_parts(self, Z: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The T² and Q parts of each signal (rows, signals), apart."""
        centred = Z - self.center_
        t2_parts = np.maximum(centred * (centred @ self.t2_matrix_), 0.0) / self.n_components_
        q_parts = self._residual(Z) ** 2 / self.q_scale_
        return t2_parts, q_parts

    def _deviation(self, Z: FloatArray) -> FloatArray:
        t2_parts, q_parts = self._split_parts(Z)
        off_subspace = q_parts.sum(axis=1) >= t2_parts.sum(axis=1)
        residual_z = self._residual(Z) / self.residual_scale_
        result: FloatArray = np.where(off_subspace[:, None], residual_z, Z - self.center_)
        return result
