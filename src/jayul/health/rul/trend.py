"""The health index's own trend, extrapolated to its level at failure (causal, per row).

The windowed features give a tree each window's mean and slope, but not what a person reading
a wear curve does with them: divide the distance still to go by the speed of travel. A tree
can only approximate that ratio by many steps, so two engines at the same level but wearing
at different rates get alike predictions. Here, at every row t, a quadratic is fitted by least
squares to the health index over the last `span` rows (all rows if fewer), in the local time
u = row - t, giving the level, slope and curvature at t; with the index's level at failure
(learned in `features.WindowFeatures.fit`) these give the rows to failure along the tangent
and along the parabola.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Extrapolated rows to failure are clipped to [0, HORIZON]; a flat or rising index (no wear
# seen yet) gets HORIZON. Longer than any C-MAPSS life, and the label is capped far below it.
HORIZON = 400.0
# Below this many rows a quadratic is all noise: level = the last value, slope = curvature = 0.
MIN_ROWS = 5
FEATURES_PER_SPAN = 5  # curvature, slope, level above failure, rows to failure (line, parabola)


def _window_sum(values: FloatArray, span: int) -> FloatArray:
    """Sum of `values` over the last `span` rows at every row (partial at the start)."""
    cum = np.concatenate([[0.0], np.cumsum(values)])
    end = np.arange(1, len(values) + 1)
    return np.asarray(cum[end] - cum[np.maximum(end - span, 0)], dtype=np.float64)


def rolling_quadratic(index: FloatArray, span: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Level, slope (per row) and curvature (the u² coefficient) at every row of `index`, from
    a least-squares quadratic over the last `span` rows in local time u = row - t.

    From cumulative sums over the absolute row i (u = i - t expands into sums of i^k y), so
    the cost does not grow with the span; a 3x3 normal system is solved per row.
    """
    n_rows = len(index)
    i = np.arange(n_rows, dtype=np.float64)
    t = i
    count = np.minimum(i + 1, span)
    # sums of u^k over a window of `count` rows ending at u = 0: u = 0, -1, ..., -(count - 1)
    j = np.arange(int(count.max()) if n_rows else 0, dtype=np.float64)
    power_sums = [np.concatenate([[0.0], np.cumsum((-j) ** k)]) for k in range(5)]
    s = [p[count.astype(np.int64)] for p in power_sums]
    y0, y1, y2 = (_window_sum(i**k * index, span) for k in range(3))
    # sum u^k y with u = i - t: expand (i - t)^k
    b0 = y0
    b1 = y1 - t * y0
    b2 = y2 - 2 * t * y1 + t * t * y0
    gram = np.stack(
        [
            np.stack([s[0], s[1], s[2]], -1),
            np.stack([s[1], s[2], s[3]], -1),
            np.stack([s[2], s[3], s[4]], -1),
        ],
        axis=1,
    )
    level, slope, curvature = index.copy(), np.zeros(n_rows), np.zeros(n_rows)
    ok = count >= MIN_ROWS
    if ok.any():
        rhs = np.stack([b0, b1, b2], -1)[ok][..., None]
        coef = np.linalg.solve(gram[ok], rhs)[..., 0]
        level[ok], slope[ok], curvature[ok] = coef[:, 0], coef[:, 1], coef[:, 2]
    return level, slope, curvature


def quadratic_at_end(index: FloatArray, span: int) -> tuple[float, float, float]:
    """`rolling_quadratic(index, span)` at the last row only (what a prediction needs): the
    same fit from the last `span` rows, without solving one system per earlier row."""
    window = index[-span:] if span < len(index) else index
    if len(window) < MIN_ROWS:
        return float(index[-1]), 0.0, 0.0
    u = np.arange(1 - len(window), 1, dtype=np.float64)
    powers = np.stack([np.ones_like(u), u, u * u])
    gram = powers @ powers.T
    level, slope, curvature = np.linalg.solve(gram, powers @ window)
    return float(level), float(slope), float(curvature)


def rows_to_failure_line(distance: FloatArray, slope: FloatArray) -> FloatArray:
    """Rows until a falling index covers `distance` (level minus failure level) at `slope`."""
    falling = slope < 0
    rows = np.where(falling, distance / np.where(falling, -slope, 1.0), HORIZON)
    return np.clip(rows, 0.0, HORIZON)


def rows_to_failure_parabola(
    distance: FloatArray, slope: FloatArray, curvature: FloatArray
) -> FloatArray:
    """Smallest u > 0 with distance + slope u + curvature u² = 0 (the parabola reaching the
    failure level); the line where the curvature is negligible, HORIZON where neither does,
    0 where the index is already at or past the level."""
    flat = np.abs(curvature) < 1e-9
    disc = slope * slope - 4.0 * curvature * distance
    root = np.sqrt(np.maximum(disc, 0.0))
    safe = np.where(flat, 1.0, 2.0 * curvature)
    roots = np.stack([(-slope + root) / safe, (-slope - root) / safe])
    roots = np.where((roots > 0) & (disc >= 0), roots, np.inf).min(axis=0)
    rows = np.where(flat, rows_to_failure_line(distance, slope), roots)
    rows = np.where(distance <= 0, 0.0, np.where(np.isfinite(rows), rows, HORIZON))
    return np.clip(rows, 0.0, HORIZON)


def _span_features(
    level: FloatArray, slope: FloatArray, curvature: FloatArray, failure_level: float
) -> list[FloatArray]:
    """The five features of one span from its fitted quadratic, in their column order."""
    distance = level - failure_level
    return [
        curvature,
        slope,
        distance,
        rows_to_failure_line(distance, slope),
        rows_to_failure_parabola(distance, slope, curvature),
    ]


def trend_features(index: FloatArray, spans: tuple[int, ...], failure_level: float) -> FloatArray:
    """Per row, for each span: curvature, slope, level above the failure level, rows to
    failure along the tangent and along the parabola. Shape (rows, 5 x len(spans))."""
    blocks: list[FloatArray] = []
    for span in spans:
        blocks += _span_features(*rolling_quadratic(index, span), failure_level)
    return np.column_stack(blocks) if blocks else np.empty((len(index), 0))


def trend_features_at_end(
    index: FloatArray, spans: tuple[int, ...], failure_level: float
) -> FloatArray:
    """`trend_features(index, spans, failure_level)[-1]`, from the last rows only."""
    values: list[float] = []
    for span in spans:
        level, slope, curvature = (np.array([v]) for v in quadratic_at_end(index, span))
        values += [float(v[0]) for v in _span_features(level, slope, curvature, failure_level)]
    return np.array(values, dtype=np.float64)
