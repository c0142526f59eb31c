"""Trajectory matching: remaining life from the training units whose health path looks alike.

A similarity-based estimator in the style of Wang et al. (PHM08): each training unit's health
index (the ridge index of `WindowFeatures`, one value per row) is smoothed into a reference
path; the last `window` rows of a history's own (unsmoothed) index are slid along every
reference path, and at each unit's best-fitting position its remaining life (capped) is
read off. The prediction is the distance-weighted mean of the `neighbours` closest units.

It uses no trees and no windowed features, only the shape of the recent path, so its errors
differ from the boosting's and the randomised trees'; as a member of `BlendedWindowRul` the
blend weights decide how much it counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from jayul.health.rul.features import WindowFeatures

FloatArray = npt.NDArray[np.float64]

# Queries are matched in blocks of this many rows, so the distance matrix stays small.
_BLOCK = 512


def centred_mean(x: FloatArray, width: int) -> FloatArray:
    """Centred moving average of a 1-D path (the window shrinks at both ends)."""
    n = len(x)
    half = max(width, 1) // 2
    cum = np.concatenate([[0.0], np.cumsum(x)])
    lo = np.maximum(np.arange(n) - half, 0)
    hi = np.minimum(np.arange(n) + half + 1, n)
    return np.asarray((cum[hi] - cum[lo]) / (hi - lo), dtype=np.float64)


class TrajectoryMatchRegressor:
    """Matches health-index tails against training units' paths (module docstring).

    `window`: rows of the history's tail that are matched (fewer if the history is shorter);
    `neighbours`: closest training units averaged; `smooth`: width of the centred moving
    average that turns each training unit's index into its reference path; `cap`: the label
    cap (remaining life read off a path is capped like the training label).
    Deterministic: no randomness at all.
    """

    def __init__(
        self,
        window: int = 30,
        neighbours: int = 10,
        smooth: int = 9,
        cap: float = 125.0,
        baseline_rows: int = 0,
    ) -> None:
        self.baseline_rows = baseline_rows
        self.window = window
        self.neighbours = neighbours
        self.smooth = smooth
        self.cap = cap

    def fit(
        self,
        features: WindowFeatures,
        histories: Sequence[FloatArray],
        rul_at_end: Sequence[float] | None = None,
    ) -> Self:
        """Reference paths of the training units, which fail at their last row (or have
        `rul_at_end` rows left there). `features` must be fitted with labels: its health
        index is what is matched."""
        if features.index_weights_ is None:
            raise ValueError("trajectory matching needs WindowFeatures fitted with a health index")
        self.features_ = features
        paths = [centred_mean(self.index(h), self.smooth) for h in histories]
        self.paths_ = paths
        self.ends_ = [0.0] * len(paths) if rul_at_end is None else [float(e) for e in rul_at_end]
        if len(self.ends_) != len(paths):
            raise ValueError(f"{len(self.ends_)} end RULs for {len(paths)} histories")
        return self

    def index(self, history: FloatArray) -> FloatArray:
        """The health index at every row of one history."""
        index = self.features_.health_index_of(history)
        if self.baseline_rows > 0:
            index = index - index[: self.baseline_rows].mean()
        return index

    def _library(self, width: int) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
        """Every `width`-row stretch of every reference path (rows), the capped remaining life
        at its last row, and where each unit's stretches start in that list."""
        windows, lives, starts = [], [], [0]
        for path, end in zip(self.paths_, self.ends_, strict=True):
            if len(path) < width:
                starts.append(starts[-1])
                continue
            windows.append(sliding_window_view(path, width))
            life = np.arange(len(path) - width, -1, -1, dtype=np.float64) + end
            lives.append(np.minimum(life, self.cap))
            starts.append(starts[-1] + len(life))
        if not windows:
            raise ValueError(f"no training path is {width} rows long")
        return np.vstack(windows), np.concatenate(lives), np.asarray(starts, dtype=np.int64)

    def _match(self, tails: FloatArray) -> FloatArray:
        """Predicted (capped) remaining life for each tail (rows of equal width)."""
        library, lives, starts = self._library(tails.shape[1])
        used = [u for u in range(len(starts) - 1) if starts[u + 1] > starts[u]]
        segment_starts = starts[used]
        k = min(self.neighbours, len(used))
        lib_sq = np.einsum("ij,ij->i", library, library)
        out = np.empty(len(tails))
        for block in range(0, len(tails), _BLOCK):
            q = tails[block : block + _BLOCK]
            dist = (
                np.einsum("ij,ij->i", q, q)[:, None] + lib_sq[None, :] - 2.0 * (q @ library.T)
            ) / tails.shape[1]
            # Best position within each unit's path: its distance and its remaining life.
            best = np.minimum.reduceat(dist, segment_starts, axis=1)
            at = np.empty_like(best, dtype=np.int64)
            segment_ends = np.append(segment_starts[1:], len(lives))
            for j, (lo, hi) in enumerate(zip(segment_starts, segment_ends, strict=True)):
                at[:, j] = lo + np.argmin(dist[:, lo:hi], axis=1)
            life = lives[at]
            order = np.argsort(best, axis=1, kind="stable")[:, :k]
            near = np.take_along_axis(best, order, axis=1)
            # Closer units count more; the scale is each query's own k-th distance, so the
            # weights do not depend on how noisy the index is overall.
            scale = np.maximum(near[:, -1:], 1e-9)
            weight = np.exp(-np.maximum(near, 0.0) / scale)
            out[block : block + _BLOCK] = np.sum(
                weight * np.take_along_axis(life, order, axis=1), axis=1
            ) / np.sum(weight, axis=1)
        return out

    def predict_rows(self, history: FloatArray, rows: npt.NDArray[np.int64]) -> FloatArray:
        """Prediction at each of `rows` of one history, from the rows up to it only."""
        index = self.index(history)
        out = np.empty(len(rows))
        widths = np.minimum(np.asarray(rows) + 1, self.window)
        for width in np.unique(widths):
            pick = np.flatnonzero(widths == width)
            tails = np.vstack([index[r - width + 1 : r + 1] for r in np.asarray(rows)[pick]])
            out[pick] = self._match(tails)
        return out

    def predict_last(self, histories: Sequence[FloatArray]) -> FloatArray:
        """Prediction at the last row of each history."""
        tails = [self.index(h)[-self.window :] for h in histories]
        out = np.empty(len(tails))
        widths = np.array([len(t) for t in tails])
        for width in np.unique(widths):
            pick = np.flatnonzero(widths == width)
            out[pick] = self._match(np.vstack([tails[i] for i in pick]))
        return out
