"""The simplest real detector: squared z-scores of trailing features, one per signal."""

from __future__ import annotations

from jayul.health.detector import FloatArray, as_rows
from jayul.health.feature_detector import FeatureDetector


class ZScoreDetector(FeatureDetector):
    """Score = mean (or, with `aggregate="max"`, largest) over signals of the squared
    standardised trailing feature.

    Signals are treated as independent: cheap, easy to explain (a signal's share is its z²),
    blind to broken correlations between signals. The mean pools evidence spread over several
    signals; the max does not dilute a fault on one signal with the noise of the others.
    """

    def __init__(
        self,
        window: int = 10,
        slow_autocorr: float = 0.8,
        slow_mode: str = "rate",
        aggregate: str = "mean",
    ) -> None:
        self.window = window
        self.slow_autocorr = slow_autocorr
        self.slow_mode = slow_mode
        self.aggregate = aggregate

    def _fit_features(self, Z: FloatArray) -> None:
        if self.aggregate not in ("mean", "max"):
            raise ValueError(f"aggregate must be 'mean' or 'max', not {self.aggregate!r}")
        self.n_features_ = Z.shape[1]

    def score(self, X: FloatArray) -> FloatArray:
        if self.aggregate == "mean":
            return super().score(X)
        self._check_fitted()
        Z = self.features_.transform(as_rows(X, self.n_signals_))
        result: FloatArray = (Z * Z).max(axis=1)
        return result

    def _parts(self, Z: FloatArray) -> FloatArray:
        result: FloatArray = Z * Z / self.n_features_
        return result
