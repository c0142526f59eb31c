"""The simplest real detector: squared z-scores of trailing features, one per signal."""

from __future__ import annotations

import numpy as np

from jayul.health.detector import FloatArray, as_rows
from jayul.health.feature_detector import FeatureDetector

AGGREGATES = ("mean", "max", "calibrated-max")


class ZScoreDetector(FeatureDetector):
    """Score = mean (or, with `aggregate="max"`, largest) over signals of the squared
    standardised trailing feature.

    Signals are treated as independent: cheap, easy to explain (a signal's share is its z²),
    blind to broken correlations between signals. The mean pools evidence spread over several
    signals; the max does not dilute a fault on one signal with the noise of the others.
    With `aggregate="calibrated-max"` each signal's z² is first divided by its own
    `reference_quantile` on the training rows: a signal whose feature has heavier tails than a
    Gaussian (a spiky vibration RMS, say) would otherwise set the level for all of them and
    take most of the false alarms, while the others need a larger shift to be seen.

    `drift_horizon` (see `TrailingFeatures`) widens the unit of a signal whose training rows
    trend, so its wander over that many rows after the fit does not read as a fault. (The
    calibrated max divides each signal by its own training quantile again, which undoes the
    widening; the mean and the plain max keep it.) An explanation's z is then in the widened
    unit: a drifting signal's deviation reads smaller than its plain standard score.
    """

    def __init__(
        self,
        window: int = 10,
        slow_autocorr: float = 0.8,
        slow_mode: str = "rate",
        aggregate: str = "mean",
        reference_quantile: float = 0.95,
        drift_horizon: float = 0.0,
    ) -> None:
        self.window = window
        self.slow_autocorr = slow_autocorr
        self.slow_mode = slow_mode
        self.aggregate = aggregate
        self.reference_quantile = reference_quantile
        self.drift_horizon = drift_horizon

    def _fit_features(self, Z: FloatArray) -> None:
        if self.aggregate not in AGGREGATES:
            raise ValueError(f"aggregate must be one of {AGGREGATES}, not {self.aggregate!r}")
        self.n_features_ = Z.shape[1]
        if self.aggregate == "calibrated-max":
            # a left-out (slow) signal's feature is always 0: any positive unit keeps it at 0
            self.reference_ = np.maximum(np.quantile(Z * Z, self.reference_quantile, axis=0), 1e-9)

    def score(self, X: FloatArray) -> FloatArray:
        if self.aggregate == "mean":
            return super().score(X)
        self._check_fitted()
        Z = self.features_.transform(as_rows(X, self.n_signals_))
        result: FloatArray = self._parts(Z).max(axis=1)
        return result

    def _parts(self, Z: FloatArray) -> FloatArray:
        if self.aggregate == "calibrated-max":
            calibrated: FloatArray = Z * Z / self.reference_
            return calibrated
        if self.aggregate == "max":
            squared: FloatArray = Z * Z
            return squared
        result: FloatArray = Z * Z / self.n_features_
        return result
