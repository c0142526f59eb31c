"""Shared plumbing for detectors that work on `TrailingFeatures` (one feature per signal)."""

from __future__ import annotations

from abc import abstractmethod
from typing import Self

import numpy as np

from jayul.health.detector import Detector, Explanation, FloatArray, as_rows, shares_from_parts
from jayul.health.features import TrailingFeatures


class FeatureDetector(Detector):
    """A detector whose score is built from standardised trailing features.

    Subclasses set `window`, `slow_autocorr` and `slow_mode` (see `TrailingFeatures`), learn
    their model in `_fit_features` and give per-signal non-negative parts in `_parts`; the
    score is the sum of the parts, so the explanation is the detector's own decomposition.
    """

    window: int
    slow_autocorr: float
    slow_mode: str
    drift_horizon: float = 0.0  # widening of a trending signal's unit (`TrailingFeatures`)

    def fit(self, X: FloatArray) -> Self:
        X = as_rows(X)
        if len(X) < 2:
            raise ValueError("fit needs at least 2 rows")
        self.features_ = TrailingFeatures(
            self.window, self.slow_autocorr, self.slow_mode, self.drift_horizon
        ).fit(X)
        self.n_signals_ = X.shape[1]
        Z = self.features_.transform(X)
        self._fit_features(Z[min(self.context_rows - 1, len(Z) - 2) :])
        self.fitted_ = True
        return self

    @property
    def context_rows(self) -> int:
        return 2 * self.window

    def score(self, X: FloatArray) -> FloatArray:
        self._check_fitted()
        Z = self.features_.transform(as_rows(X, self.n_signals_))
        result: FloatArray = self._parts(Z).sum(axis=1)
        return result

    def explain(self, X: FloatArray) -> Explanation:
        self._check_fitted()
        Z = self.features_.transform(as_rows(X, self.n_signals_))
        parts = self._parts(Z)
        deviation = self._deviation(Z)
        return Explanation(
            shares=shares_from_parts(parts),
            directions=np.sign(deviation).astype(np.int8),
            z=deviation,
        )

    @abstractmethod
    def _fit_features(self, Z: FloatArray) -> None:
        """Learn the model from the training rows' standardised features."""

    @abstractmethod
    def _parts(self, Z: FloatArray) -> FloatArray:
        """Per-signal non-negative parts of the score (rows, signals)."""

    def _deviation(self, Z: FloatArray) -> FloatArray:
        """Signed per-signal deviation in standard units (default: the features themselves)."""
        return Z
