"""Windowed features of a history, generic in its signals (no C-MAPSS specifics here).

At each row t of a history the features summarise rows 0..t only (causal): for each signal
and each window w, the mean, the least-squares slope and (for w >= 10) the spread of the last
w rows; optionally the change of each window mean from the unit's own baseline (the mean of
its first `baseline_rows` rows), which removes unit-to-unit offsets; and the row count (age).
A linear health index (a ridge fit of the training label on the signals) can be added as one
more, less noisy signal before windowing, and with it its trend extrapolated to its level at
failure (`trend`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import numpy.typing as npt

from jayul.health.rul.trend import FEATURES_PER_SPAN, trend_features, trend_features_at_end

# The health index's level at failure is its mean over the rows with less than this much life
# left (the last rows of the training histories that end at failure).
FAILURE_ROWS = 5.0

FloatArray = npt.NDArray[np.float64]


def _window_sums(cum: FloatArray, window: int) -> tuple[FloatArray, FloatArray]:
    """Sum over the last `window` rows at every row (partial windows at the start), and n."""
    n_rows = cum.shape[0] - 1
    end = np.arange(1, n_rows + 1)
    start = np.maximum(end - window, 0)
    return cum[end] - cum[start], (end - start).astype(np.float64)


def window_stats(x: FloatArray, window: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Rolling mean, slope (per row) and standard deviation over the last `window` rows.

    Computed from cumulative sums, so the cost does not grow with the window.
    """
    n_rows = x.shape[0]
    t = np.arange(n_rows, dtype=np.float64)[:, None]
    zero = np.zeros((1, x.shape[1]))
    s_x, n = _window_sums(np.vstack([zero, np.cumsum(x, axis=0)]), window)
    s_xx, _ = _window_sums(np.vstack([zero, np.cumsum(x * x, axis=0)]), window)
    s_tx, _ = _window_sums(np.vstack([zero, np.cumsum(t * x, axis=0)]), window)
    tt = np.arange(n_rows + 1, dtype=np.float64)[:, None]
    s_t, _ = _window_sums(np.concatenate([[[0.0]], np.cumsum(tt[:-1], axis=0)]), window)
    s_t2, _ = _window_sums(np.concatenate([[[0.0]], np.cumsum(tt[:-1] ** 2, axis=0)]), window)
    n = n[:, None]
    mean = s_x / n
    var = np.maximum(s_xx / n - mean**2, 0.0)
    t_var = s_t2 - s_t**2 / n
    slope = np.where(t_var > 0, (s_tx - s_t * s_x / n) / np.where(t_var > 0, t_var, 1.0), 0.0)
    return mean, slope, np.sqrt(var)


class WindowFeatures:
    """Turns histories into one feature row per history row (see the module docstring).

    Hyperparameters: `windows` (rows), `baseline_rows` (0 turns the baseline change off),
    `health_index` (add the ridge health index), `constant_tol` (signals whose training
    spread is below it are dropped), `spread_min_window` (smallest window that gets a spread),
    `trend_spans` (for each, the health index's quadratic trend over that many rows and its
    rows to failure, `trend.trend_features`; needs the health index and training histories
    that end at failure).
    """

    def __init__(
        self,
        windows: Sequence[int] = (5, 10, 20, 30),
        baseline_rows: int = 20,
        health_index: bool = True,
        constant_tol: float = 1e-8,
        spread_min_window: int = 10,
        trend_spans: Sequence[int] = (),
    ) -> None:
        self.windows = windows
        self.baseline_rows = baseline_rows
        self.health_index = health_index
        self.constant_tol = constant_tol
        self.spread_min_window = spread_min_window
        self.trend_spans = trend_spans

    def fit(self, histories: Sequence[FloatArray], labels: Sequence[FloatArray] | None) -> Self:
        """Learn which signals to keep, their scale, and (with labels) the health index."""
        rows = np.vstack(histories)
        spread = rows.std(axis=0)
        self.keep_ = np.flatnonzero(spread > self.constant_tol)
        if self.keep_.size == 0:
            raise ValueError("every signal is constant in the training histories")
        self.center_ = rows[:, self.keep_].mean(axis=0)
        self.scale_ = spread[self.keep_]
        self.index_weights_: FloatArray | None = None
        if self.health_index and labels is not None:
            z = (rows[:, self.keep_] - self.center_) / self.scale_
            y = np.concatenate(labels)
            y = (y - y.mean()) / max(float(y.std()), 1e-12)
            # A little ridge keeps the index stable when signals are nearly collinear.
            gram = z.T @ z + 1e-3 * len(z) * np.eye(z.shape[1])
            self.index_weights_ = np.linalg.solve(gram, z.T @ y)
        self.failure_level_: float | None = None
        if self.trend_spans:
            self.failure_level_ = self._failure_level(histories, labels)
        return self

    def _trend(self) -> tuple[tuple[int, ...], float | None]:
        """The trend spans and the failure level (none for maps pickled before they existed)."""
        level = getattr(self, "failure_level_", None)
        return (tuple(getattr(self, "trend_spans", ())) if level is not None else ()), level

    def _failure_level(
        self, histories: Sequence[FloatArray], labels: Sequence[FloatArray] | None
    ) -> float:
        if self.index_weights_ is None or labels is None:
            raise ValueError(
                "trend_spans need the health index: fit with labels, health_index=True"
            )
        near = [
            self.health_index_of(h)[np.asarray(y) < FAILURE_ROWS]
            for h, y in zip(histories, labels, strict=True)
        ]
        rows = np.concatenate(near)
        if rows.size == 0:
            raise ValueError(
                f"trend_spans need training histories that reach failure (rows with less than "
                f"{FAILURE_ROWS:g} left); none does"
            )
        return float(rows.mean())

    def _signals(self, history: FloatArray) -> FloatArray:
        z: FloatArray = (history[:, self.keep_] - self.center_) / self.scale_
        if self.index_weights_ is not None:
            z = np.column_stack([z, z @ self.index_weights_])
        return z

    def signals(self, history: FloatArray) -> FloatArray:
        """The standardised kept signals at every row, with the health index as the last
        column if there is one: what the windows summarise."""
        return self._signals(history)

    def health_index_of(self, history: FloatArray) -> FloatArray:
        """The ridge health index at every row of one history (fit with labels first)."""
        if self.index_weights_ is None:
            raise ValueError("no health index: fit with labels and health_index=True")
        z = (history[:, self.keep_] - self.center_) / self.scale_
        return np.asarray(z @ self.index_weights_, dtype=np.float64)

    def transform_all(self, history: FloatArray) -> FloatArray:
        """Features at every row of one history: shape (rows, n_features)."""
        z = self._signals(history)
        n_rows = z.shape[0]
        blocks: list[FloatArray] = [z]
        baseline: FloatArray | None = None
        if self.baseline_rows > 0:
            baseline, _, _ = window_stats(z[: self.baseline_rows], self.baseline_rows)
            # Past the baseline period the baseline is fixed at the mean of its first rows.
            if n_rows > self.baseline_rows:
                tail = np.repeat(baseline[-1:], n_rows - self.baseline_rows, axis=0)
                baseline = np.vstack([baseline, tail])
        for window in self.windows:
            mean, slope, spread = window_stats(z, window)
            blocks += [mean, slope]
            if window >= self.spread_min_window:
                blocks.append(spread)
            if baseline is not None:
                blocks.append(mean - baseline)
        spans, failure_level = self._trend()
        if failure_level is not None:
            blocks.append(trend_features(z[:, -1], spans, failure_level))
        blocks.append(np.arange(1, n_rows + 1, dtype=np.float64)[:, None])
        return np.hstack(blocks)

    def baseline_columns(self) -> npt.NDArray[np.bool_]:
        """Which feature columns are changes from the unit's baseline (all False when
        `baseline_rows` is 0); the others are, in order, what the same map without a
        baseline computes."""
        width = len(self.keep_) + (self.index_weights_ is not None)
        flags = [False] * width
        for window in self.windows:
            flags += [False] * width * (2 + (window >= self.spread_min_window))
            flags += [self.baseline_rows > 0] * width
        flags += [False] * FEATURES_PER_SPAN * len(self._trend()[0])
        return np.array([*flags, False])

    def same_fit_but_baseline(self, other: WindowFeatures) -> bool:
        """True when `other` was fitted to the same data with the same settings apart from
        `baseline_rows`: its features are then this map's without the baseline columns."""
        mine, theirs = self.index_weights_, other.index_weights_
        same_index = (
            mine is None and theirs is None
            if mine is None or theirs is None
            else np.array_equal(mine, theirs)
        )
        return (
            tuple(self.windows) == tuple(other.windows)
            and self.spread_min_window == other.spread_min_window
            and np.array_equal(self.keep_, other.keep_)
            and np.array_equal(self.center_, other.center_)
            and np.array_equal(self.scale_, other.scale_)
            and bool(same_index)
            and self._trend() == other._trend()
        )

    def last_row(self, history: FloatArray) -> FloatArray:
        """`transform_all(history)[-1]`, computed for the last row only and from the rows it
        reads (the first `baseline_rows` and the last `max(windows)` or `max(trend_spans)`), so
        predicting at a history's end costs the same however long the history is. Same
        blocks, same order."""
        n_rows = len(history)
        head = max(self.baseline_rows, 0)
        spans, failure_level = self._trend()
        span = max([*self.windows, *spans, 1])
        rows = history if n_rows <= head + span else np.vstack([history[:head], history[-span:]])
        z = self._signals(rows)
        blocks: list[FloatArray] = [z[-1]]
        baseline = z[: min(n_rows, head)].mean(axis=0) if head > 0 else None
        for window in self.windows:
            seg = z[-window:] if window < len(z) else z
            mean = seg.mean(axis=0)
            t = np.arange(len(seg), dtype=np.float64)
            t -= t.mean()
            t_var = float(t @ t)
            blocks += [mean, (t @ seg) / t_var if t_var > 0 else np.zeros_like(mean)]
            if window >= self.spread_min_window:
                blocks.append(np.sqrt(np.maximum((seg * seg).mean(axis=0) - mean**2, 0.0)))
            if baseline is not None:
                blocks.append(mean - baseline)
        if failure_level is not None:
            tail = z[-span:, -1] if span < len(z) else z[:, -1]
            blocks.append(trend_features_at_end(tail, spans, failure_level))
        blocks.append(np.array([float(n_rows)]))
        return np.concatenate(blocks)
