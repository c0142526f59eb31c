"""Causal changepoints: the signals' recent mean moved away from the mean just before it.

An alarm's switches say when an episode starts and ends; a process often changes state inside
an episode too (a valve closing further, then partly reopening). This detector names those
moments: at row t it compares the mean of the last `window` rows with the mean of the
`window` rows before them, per signal, in units of that difference's spread on the training
rows, and reports a changepoint when the largest of them crosses the level (the training
`quantile` of the statistic times `margin`), at most once per `refractory` rows.
"""

from __future__ import annotations

from typing import Self

import numpy as np
from numpy.typing import NDArray

from jayul.health.detector import FloatArray, as_rows
from jayul.health.features import lag1_autocorrelation, trailing_mean


class MeanShiftChangepoints:
    """Two-window mean-shift changepoint detector (slow signals left out, as in `features`)."""

    def __init__(
        self,
        window: int = 10,
        quantile: float = 1.0,
        margin: float = 1.5,
        refractory: int = 30,
        slow_autocorr: float = 0.8,
    ) -> None:
        self.window = window
        self.quantile = quantile
        self.margin = margin
        self.refractory = refractory
        self.slow_autocorr = slow_autocorr

    def fit(self, X: FloatArray) -> Self:
        X = as_rows(X)
        self.slow_ = lag1_autocorrelation(X) > self.slow_autocorr
        self.scale_ = np.ones(X.shape[1])
        raw = self._differences(X)
        warm = raw[2 * self.window :] if len(raw) > 4 * self.window else raw
        self.scale_ = np.maximum(warm.std(axis=0), 1e-12)
        stat = self.statistic(X)
        self.level_ = (
            float(
                np.quantile(
                    stat[2 * self.window :] if len(stat) > 4 * self.window else stat, self.quantile
                )
            )
            * self.margin
        )
        self.n_signals_ = X.shape[1]
        return self

    def _differences(self, X: FloatArray) -> FloatArray:
        means = trailing_mean(X, self.window)
        before = np.empty_like(means)
        lag = min(self.window, len(means))
        before[:lag] = means[0] if len(means) else 0.0
        before[lag:] = means[: len(means) - lag]
        result: FloatArray = means - before
        return result

    def statistic(self, X: FloatArray) -> FloatArray:
        """Largest standardised mean shift over the non-slow signals, per row."""
        z = np.abs(self._differences(X) / self.scale_)
        z[:, self.slow_] = 0.0
        result: FloatArray = z.max(axis=1)
        return result

    def detect(self, X: FloatArray) -> NDArray[np.int8]:
        """0/1 per row: 1 where a changepoint is reported (upward crossings, refractory)."""
        stat = self.statistic(as_rows(X, self.n_signals_))
        out = np.zeros(len(stat), dtype=np.int8)
        last = -self.refractory
        above = False
        for i, s in enumerate(stat):
            crossing = s > self.level_ and not above
            if crossing and i - last >= self.refractory:
                out[i] = 1
                last = i
            above = bool(s > self.level_)
        return out
