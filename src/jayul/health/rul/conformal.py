"""Split-conformal calibration of a point RUL model into a quantile grid.

Residuals (true remaining life minus prediction) are collected on units the model never saw
(out-of-fold), at every row of their histories, each unit weighted equally (as if each were
cut at a uniformly random row, like the C-MAPSS test units). The residuals are grouped by the
size of the prediction (Mondrian bins), because the error near the label cap, where the
sensors cannot yet tell how much life is left, is much wider than near failure; and by the
unit's age (rows seen so far), because a unit that looks healthy late in its life has less
life left than one that looks healthy when new.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

DEFAULT_LEVELS: tuple[float, ...] = (
    0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975,
)  # fmt: skip


def weighted_quantiles(values: FloatArray, weights: FloatArray, levels: FloatArray) -> FloatArray:
    """Quantiles of a weighted sample (inverse of the weighted empirical distribution).

    A small finite-sample correction widens the outer levels the way split conformal does:
    the level is moved towards the tail by one sample's worth of weight.
    """
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cum = np.cumsum(w) / w.sum()
    n_eff = w.sum() ** 2 / np.sum(w**2)
    adjusted = np.clip(levels + (levels - 0.5) / max(n_eff, 1.0), 0.0, 1.0)
    index = np.minimum(np.searchsorted(cum, adjusted, side="left"), len(v) - 1)
    return np.asarray(v[index], dtype=np.float64)


class MondrianResidualCalibrator:
    """Per-bin residual quantiles, added to a point prediction to make a quantile grid.

    The median of the grid is the point prediction itself (the model is trained on the
    capped label, which is what the standard protocol scores); levels below the median are
    clipped at or below it, levels above at or above it, so every grid is non-decreasing.
    """

    def __init__(
        self,
        levels: tuple[float, ...] = DEFAULT_LEVELS,
        n_bins: int = 4,
        n_age_bins: int = 1,
        min_cell_rows: int = 200,
    ) -> None:
        self.levels = levels
        self.n_bins = n_bins
        self.n_age_bins = n_age_bins
        self.min_cell_rows = min_cell_rows

    def _cells(self, predicted: FloatArray, age: FloatArray | None) -> npt.NDArray[np.intp]:
        bins = np.searchsorted(self.edges_, predicted, side="right")
        if age is None or self.age_edges_.size == 0:
            return bins * (len(self.age_edges_) + 1)
        return bins * (len(self.age_edges_) + 1) + np.searchsorted(self.age_edges_, age, "right")

    def fit(
        self,
        predicted: FloatArray,
        true: FloatArray,
        weights: FloatArray,
        age: FloatArray | None = None,
    ) -> Self:
        """Learn bin edges (weighted quantiles of the predictions, and of the ages when given)
        and the residual quantiles of each cell; a cell with fewer than `min_cell_rows` rows
        borrows the residuals of its whole prediction bin."""
        levels = np.asarray(self.levels, dtype=np.float64)
        if 0.5 not in self.levels:
            raise ValueError("calibration levels must include 0.5 (the median)")
        residual = true - predicted
        inner = np.linspace(0, 1, self.n_bins + 1)[1:-1]
        self.edges_ = np.unique(weighted_quantiles(predicted, weights, inner))
        self.age_edges_ = np.empty(0)
        if age is not None and self.n_age_bins > 1:
            age_inner = np.linspace(0, 1, self.n_age_bins + 1)[1:-1]
            self.age_edges_ = np.unique(weighted_quantiles(age, weights, age_inner))
        bins = np.searchsorted(self.edges_, predicted, side="right")
        cells = self._cells(predicted, age)
        n_age = len(self.age_edges_) + 1
        offsets = []
        for cell in range((len(self.edges_) + 1) * n_age):
            mask = cells == cell
            if mask.sum() < self.min_cell_rows:
                mask = bins == cell // n_age
            if not np.any(mask):  # an empty bin borrows the pooled residuals
                mask = np.ones_like(mask)
            offsets.append(weighted_quantiles(residual[mask], weights[mask], levels))
        table = np.array(offsets)
        median = int(np.flatnonzero(levels == 0.5)[0])
        table[:, :median] = np.minimum(table[:, :median], 0.0)
        table[:, median] = 0.0
        table[:, median + 1 :] = np.maximum(table[:, median + 1 :], 0.0)
        self.offsets_ = table
        return self

    def grid(self, predicted: FloatArray, age: FloatArray | None = None) -> FloatArray:
        """Quantile grid (units x levels) around each point prediction, RUL floored at 0.

        `age` (rows seen) is needed when the calibrator was fit with ages."""
        if age is None and self.age_edges_.size:
            raise ValueError("this calibrator was fit with ages: pass age to grid()")
        values = predicted[:, None] + self.offsets_[self._cells(predicted, age)]
        return np.maximum(values, 0.0)
