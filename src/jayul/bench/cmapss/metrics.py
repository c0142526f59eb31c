"""RUL metrics: RMSE, the PHM08 challenge score, and interval coverage."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def _pair(
    predicted: npt.ArrayLike, true: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    p = np.asarray(predicted, dtype=np.float64).ravel()
    t = np.asarray(true, dtype=np.float64).ravel()
    if p.shape != t.shape or p.size == 0:
        raise ValueError(f"predicted ({p.size}) and true ({t.size}) must be equal, non-empty")
    return p, t


def rmse(predicted: npt.ArrayLike, true: npt.ArrayLike) -> float:
    """Root mean squared error."""
    p, t = _pair(predicted, true)
    return float(np.sqrt(np.mean((p - t) ** 2)))


def phm08_score(predicted: npt.ArrayLike, true: npt.ArrayLike) -> float:
    """PHM08 score: sum of exp(-d/13) - 1 for early (d < 0) and exp(d/10) - 1 for late
    predictions, d = predicted - true; late predictions cost more. Lower is better."""
    p, t = _pair(predicted, true)
    d = p - t
    return float(np.sum(np.where(d < 0, np.exp(-d / 13.0) - 1.0, np.exp(d / 10.0) - 1.0)))


def interval_coverage(lower: npt.ArrayLike, upper: npt.ArrayLike, true: npt.ArrayLike) -> float:
    """Share of `true` values inside [lower, upper] (ends included)."""
    lo, t = _pair(lower, true)
    hi, _ = _pair(upper, true)
    return float(np.mean((lo <= t) & (t <= hi)))
