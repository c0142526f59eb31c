"""The simplest real detector: squared z-scores of trailing features, one per signal."""

from __future__ import annotations

from jayul.health.detector import FloatArray
from jayul.health.feature_detector import FeatureDetector


class ZScoreDetector(FeatureDetector):
    """Score = mean over signals of the squared standardised trailing feature.

    Signals are treated as independent: cheap, easy to explain (a signal's share is its z²),
    blind to broken correlations between signals.
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
        self.n_features_ = Z.shape[1]

    def _parts(self, Z: FloatArray) -> FloatArray:
        result: FloatArray = Z * Z / self.n_features_
        return result
