"""A soft sensor (virtual metrology): the product analyser's reading before it arrives.

A process analyser samples the product every few minutes and reports after a dead time, so
the quality of what is made now is known only later. The soft sensor predicts it from the fast
measurements up to now: each row is described by the inputs themselves and their trailing
means over `windows` rows, and a ridge regression (its penalty chosen by generalised
cross-validation) maps them to every analysed quantity. Prediction intervals come from the
training rows' out-of-fold residuals (split by time, so a row never helps predict itself).

Training pairs are causal by construction (`analyser_pairs`): a reading that appears at row r
describes the sample drawn `delay` rows earlier, so it is paired with the inputs up to row
r - delay, never with rows after the sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import RidgeCV

from jayul.health.detector import FloatArray, as_rows
from jayul.health.features import trailing_mean


def analyser_pairs(
    inputs: FloatArray, readings: FloatArray, delay: int
) -> tuple[NDArray[np.intp], FloatArray]:
    """Rows at which the inputs describe a new analyser reading, and those readings.

    A reading is new where any analysed quantity changes from the row before; the sample it
    reports was drawn `delay` rows earlier, so the returned input rows are r - delay.
    """
    if len(inputs) != len(readings):
        raise ValueError("inputs and readings need the same number of rows")
    changed = np.flatnonzero(np.any(np.diff(readings, axis=0) != 0, axis=1)) + 1
    changed = changed[changed >= delay]
    return changed - delay, readings[changed]


class SoftSensor:
    """Ridge regression on current and trailing-mean inputs, with residual intervals."""

    def __init__(
        self, windows: Sequence[int] = (5, 10), coverage: float = 0.9, folds: int = 5
    ) -> None:
        self.windows = tuple(windows)
        self.coverage = coverage
        self.folds = folds

    def features(self, X: FloatArray) -> FloatArray:
        """Causal features of every row: the inputs and their trailing means."""
        X = as_rows(X, getattr(self, "n_inputs_", None))
        return np.hstack([X, *(trailing_mean(X, w) for w in self.windows)])

    def _ridge(self, F: FloatArray, y: FloatArray) -> tuple[RidgeCV, FloatArray, FloatArray]:
        mean, sd = F.mean(axis=0), F.std(axis=0)
        scale = np.where(sd > 0, sd, 1.0)
        model = RidgeCV(alphas=np.logspace(-2, 4, 25)).fit((F - mean) / scale, y)
        return model, mean, scale

    def fit(self, X: FloatArray, rows: NDArray[np.intp], y: FloatArray) -> Self:
        """Fit on the feature rows `rows` of the inputs `X` (a run in time order) and their
        readings `y` (len(rows), quantities), as `analyser_pairs` gives them."""
        X = as_rows(X)
        y = np.asarray(y, dtype=np.float64).reshape(len(rows), -1)
        if len(rows) < 2 * self.folds:
            raise ValueError(f"need at least {2 * self.folds} readings, got {len(rows)}")
        self.n_inputs_ = X.shape[1]
        F = self.features(X)[rows]
        residuals = np.empty_like(y)
        for chunk in np.array_split(np.arange(len(rows)), self.folds):
            keep = np.setdiff1d(np.arange(len(rows)), chunk)
            model, mean, scale = self._ridge(F[keep], y[keep])
            predicted = np.asarray(model.predict((F[chunk] - mean) / scale), np.float64)
            residuals[chunk] = y[chunk] - predicted.reshape(len(chunk), -1)
        # the out-of-fold residuals' centre and spread: what a drift check standardises by
        self.residual_mean_ = residuals.mean(axis=0)
        self.residual_sd_ = residuals.std(axis=0, ddof=1)
        tail = (1.0 - self.coverage) / 2.0
        self.lower_ = np.quantile(residuals, tail, axis=0)
        self.upper_ = np.quantile(residuals, 1.0 - tail, axis=0)
        self.model_, self.mean_, self.scale_ = self._ridge(F, y)
        return self

    def predict(self, X: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Point prediction and the interval's low and high ends, each (rows, quantities)."""
        F = self.features(X)
        point = np.asarray(self.model_.predict((F - self.mean_) / self.scale_), np.float64)
        point = point.reshape(len(F), -1)
        return point, point + self.lower_, point + self.upper_
