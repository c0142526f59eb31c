"""Causal trailing-window features shared by the detectors.

Each signal becomes the mean of its last `window` rows, which averages out sensor noise so a
sustained shift of a fraction of a standard deviation stands out. Slow signals (temperatures:
lag-1 autocorrelation above `slow_autocorr` in the training rows) drift with the ambient, and a
few minutes of training cannot say what their normal level is; for them the feature is the
change of the trailing mean over the last `window` rows instead of its level
(`slow_mode="rate"`), or they are left out (`slow_mode="ignore"`: their feature is always 0).

A signal that wanders slowly without being slow enough for that screen (a temperature whose
sensor noise hides its drift from the lag-1 test, a vibration level that creeps) false-alarms
more the farther the scored rows lie from the fit. With `drift_horizon` H > 0 each feature's
unit also covers the drift its training rows show: the unit's square is the training variance
plus the squared offset the training rows' linear trend would reach, averaged over the
distances 0..H rows after the fit. A signal with no trend keeps its unit; one that drifts is
weighed down in proportion to how far it would wander within the horizon.

Every feature of row t depends only on rows t - 2 window + 1 .. t, computed the same way
whatever came before them, so scoring a stream in chunks gives exactly the batch result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from jayul.health.detector import FloatArray, as_rows


def trailing_mean(X: FloatArray, window: int) -> FloatArray:
    """Mean of each column over the last `window` rows (fewer at the start of the batch)."""
    n, d = X.shape
    if n == 0:
        return X.copy()
    padded = np.vstack([np.zeros((window - 1, d)), X])
    sums = sliding_window_view(padded, window, axis=0).sum(axis=2)
    counts = np.minimum(np.arange(1, n + 1), window).astype(np.float64)
    result: FloatArray = sums / counts[:, None]
    return result


def lag1_autocorrelation(X: FloatArray) -> FloatArray:
    """Lag-1 autocorrelation of each column (0 for constant columns)."""
    if len(X) < 3:
        return np.zeros(X.shape[1])
    a, b = X[:-1] - X[:-1].mean(axis=0), X[1:] - X[1:].mean(axis=0)
    denominator = np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, (a * b).sum(axis=0) / safe, 0.0)


def drift_offset_squared(rows: FloatArray, horizon: float) -> FloatArray:
    """Per column: the mean squared offset from the rows' mean that their least-squares linear
    trend reaches at distances 0..`horizon` rows after the last row.

    The rows' centre lies c = (n - 1) / 2 rows before the last one, so at distance d the trend
    is slope * (c + d) away from the mean; the mean of (c + d)² over d uniform on [0, H] is
    c² + c H + H² / 3."""
    n = len(rows)
    t = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    slope = t @ (rows - rows.mean(axis=0)) / float(t @ t)
    c = (n - 1) / 2.0
    reach = c * c + c * horizon + horizon * horizon / 3.0
    result: FloatArray = slope * slope * reach
    return result


@dataclass
class TrailingFeatures:
    """Fitted transform: trailing means (changes of them for slow signals), standardised."""

    window: int = 10
    slow_autocorr: float = 0.8
    slow_mode: str = "rate"
    drift_horizon: float = 0.0

    def fit(self, X: FloatArray) -> Self:
        X = as_rows(X)
        if self.slow_mode not in ("rate", "ignore"):
            raise ValueError(f"slow_mode must be 'rate' or 'ignore', not {self.slow_mode!r}")
        if self.drift_horizon < 0:
            raise ValueError(f"drift_horizon must be >= 0, not {self.drift_horizon}")
        self.slow_ = lag1_autocorrelation(X) > self.slow_autocorr
        raw = self.raw(X)
        warm = raw[self.context_rows - 1 :] if len(raw) >= 2 * self.context_rows else raw
        self.center_ = warm.mean(axis=0)
        spread = warm.std(axis=0)
        # a constant training signal still needs a finite unit: its noise floor
        floor = 1e-6 * np.maximum(np.abs(self.center_), 1.0)
        self.scale_ = np.maximum(spread, floor)
        if self.drift_horizon > 0 and len(warm) >= 3:
            self.scale_ = np.sqrt(self.scale_**2 + drift_offset_squared(warm, self.drift_horizon))
        return self

    @property
    def context_rows(self) -> int:
        return 2 * self.window

    def raw(self, X: FloatArray) -> FloatArray:
        """Unstandardised features of every row."""
        means = trailing_mean(X, self.window)
        if not self.slow_.any():
            return means
        lagged = np.empty_like(means)
        lag = min(self.window, len(means))
        lagged[:lag] = means[0]
        lagged[lag:] = means[: len(means) - lag]
        out = means.copy()
        out[:, self.slow_] = (means - lagged)[:, self.slow_]
        return out

    def transform(self, X: FloatArray) -> FloatArray:
        """Standardised features (z units of the training rows)."""
        result: FloatArray = (self.raw(X) - self.center_) / self.scale_
        if self.slow_mode == "ignore":
            result[:, self.slow_] = 0.0
        return result
