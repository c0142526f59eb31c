"""Training labels: remaining life at every row of a history, piecewise-linear with a cap."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def remaining_life(n_rows: int, rul_at_end: float = 0.0) -> npt.NDArray[np.float64]:
    """True remaining life at each of `n_rows` rows, when the last row has `rul_at_end` left.

    A unit that fails at its last row (rul_at_end 0) has 0 left there, 1 the row before, ...
    """
    if n_rows < 0:
        raise ValueError(f"n_rows must be >= 0, got {n_rows}")
    return np.arange(n_rows - 1, -1, -1, dtype=np.float64) + float(rul_at_end)


def piecewise_linear_rul(
    n_rows: int, cap: float | None = 125.0, rul_at_end: float = 0.0
) -> npt.NDArray[np.float64]:
    """The standard C-MAPSS label: remaining life, held flat at `cap` early in life.

    Early degradation is invisible in the sensors, so a model cannot tell 300 rows left from
    200; capping the label keeps it from chasing that noise. `cap=None` gives the plain life.
    """
    life = remaining_life(n_rows, rul_at_end)
    return life if cap is None else np.minimum(life, float(cap))
