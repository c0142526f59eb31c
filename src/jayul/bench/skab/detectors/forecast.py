"""A linear forecaster whose standardised residuals are scored."""

from __future__ import annotations

import numpy as np

from jayul.health.detector import FloatArray
from jayul.health.feature_detector import FeatureDetector


class ForecastDetector(FeatureDetector):
    """Ridge regression forecasts each trailing feature one window ahead from all of them.

    Normal dynamics (a pump warming up, signals moving together) are predicted and so do not
    alarm; what the forecast misses does. Parts: squared residual of each signal over its
    training residual variance, averaged over signals.
    """

    def __init__(
        self,
        window: int = 10,
        slow_autocorr: float = 0.8,
        slow_mode: str = "rate",
        ridge: float = 10.0,
    ) -> None:
        self.window = window
        self.slow_autocorr = slow_autocorr
        self.slow_mode = slow_mode
        self.ridge = ridge

    @property
    def context_rows(self) -> int:
        return 3 * self.window

    def _lagged(self, Z: FloatArray) -> FloatArray:
        lagged = np.empty_like(Z)
        lag = min(self.window, len(Z))
        lagged[:lag] = Z[0] if len(Z) else 0.0
        lagged[lag:] = Z[: len(Z) - lag]
        return lagged

    def _fit_features(self, Z: FloatArray) -> None:
        past, now = self._lagged(Z)[self.window :], Z[self.window :]
        if len(past) < 2:
            past, now = Z, Z
        design = np.hstack([past, np.ones((len(past), 1))])
        penalty = self.ridge * np.eye(design.shape[1])
        penalty[-1, -1] = 0.0  # the intercept is not shrunk
        self.coef_ = np.linalg.solve(design.T @ design + penalty, design.T @ now)
        residual = now - design @ self.coef_
        self.residual_var_ = np.maximum((residual**2).mean(axis=0), 1e-6)

    def _deviation(self, Z: FloatArray) -> FloatArray:
        past = self._lagged(Z)
        forecast = past @ self.coef_[:-1] + self.coef_[-1]
        result: FloatArray = (Z - forecast) / np.sqrt(self.residual_var_)
        return result

    def _parts(self, Z: FloatArray) -> FloatArray:
        result: FloatArray = self._deviation(Z) ** 2 / Z.shape[1]
        return result
