"""The remaining-useful-life interface: fit on run-to-failure histories, predict a distribution.

A *history* is one unit's record so far: a 2-D array of shape (rows, features), one row per
time step (a C-MAPSS cycle, a twin minute, ...), oldest first. RUL is counted in those rows:
a predicted RUL of 30 means "about 30 more rows (steps) until failure".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
History = npt.NDArray[np.float64]


def histories_from_frame(
    frame: pd.DataFrame,
    unit: str = "unit",
    cycle: str = "cycle",
    features: Sequence[str] | None = None,
) -> tuple[list[History], list[object]]:
    """Split a long table (one row per unit and cycle) into histories, ordered by cycle.

    Returns the histories and the unit ids in the same order. `features` defaults to every
    column except `unit` and `cycle`.
    """
    for column in (unit, cycle):
        if column not in frame.columns:
            raise ValueError(f"histories_from_frame: no column {column!r} in the table")
    columns = (
        list(features)
        if features is not None
        else [str(c) for c in frame.columns if c not in (unit, cycle)]
    )
    ordered = frame.sort_values([unit, cycle], kind="stable")
    histories: list[History] = []
    units: list[object] = []
    for unit_id, rows in ordered.groupby(unit, sort=False):
        histories.append(rows[columns].to_numpy(dtype=np.float64))
        units.append(unit_id)
    return histories, units


def as_histories(histories: Sequence[npt.ArrayLike] | pd.DataFrame) -> list[History]:
    """Check and convert histories (a list of 2-D arrays, or a unit/cycle table) to float arrays."""
    if isinstance(histories, pd.DataFrame):
        return histories_from_frame(histories)[0]
    out: list[History] = []
    for index, history in enumerate(histories):
        array = np.asarray(history, dtype=np.float64)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2 or array.shape[0] == 0:
            raise ValueError(
                f"history {index}: expected a non-empty 2-D array (rows, features), "
                f"got shape {array.shape}"
            )
        out.append(array)
    if not out:
        raise ValueError("no histories given")
    widths = {h.shape[1] for h in out}
    if len(widths) > 1:
        raise ValueError(f"histories have different numbers of features: {sorted(widths)}")
    return out


@dataclass(frozen=True)
class RulDistribution:
    """Predicted remaining life of several units, as a grid of quantiles per unit.

    `levels` (increasing, in (0, 1)) and `values` (units x levels, non-decreasing along each
    row) describe each unit's distribution; between grid points it is linear, below the lowest
    level it falls linearly to probability 0 at RUL 0, above the highest it rises linearly to 1
    at `values[:, -1] + (values[:, -1] - values[:, mid])`, a tail as wide as the upper half.
    """

    levels: FloatArray
    values: FloatArray

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or self.values.shape[1] != len(self.levels):
            raise ValueError(
                f"RulDistribution: values shape {self.values.shape} does not match "
                f"{len(self.levels)} levels"
            )
        if np.any(np.diff(self.levels) <= 0) or self.levels[0] <= 0 or self.levels[-1] >= 1:
            raise ValueError("RulDistribution: levels must increase strictly inside (0, 1)")

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def _full_grid(self) -> tuple[FloatArray, FloatArray]:
        """The grid extended with the ends (level 0 at RUL 0, level 1 at the upper tail)."""
        mid = int(np.searchsorted(self.levels, 0.5))
        mid = min(mid, len(self.levels) - 1)
        top = self.values[:, -1] + np.maximum(self.values[:, -1] - self.values[:, mid], 1.0)
        bottom = np.minimum(0.0, self.values[:, 0])
        values = np.column_stack([bottom, self.values, top])
        levels = np.concatenate([[0.0], self.levels, [1.0]])
        return levels, values

    def quantile(self, level: float) -> FloatArray:
        """The `level` quantile of remaining life, one value per unit."""
        if not 0.0 <= level <= 1.0:
            raise ValueError(f"quantile level must be in [0, 1], got {level}")
        levels, values = self._full_grid()
        return np.array([np.interp(level, levels, row) for row in values])

    @property
    def p10(self) -> FloatArray:
        """10th percentile of remaining life per unit."""
        return self.quantile(0.1)

    @property
    def p50(self) -> FloatArray:
        """Median remaining life per unit (the point prediction)."""
        return self.quantile(0.5)

    @property
    def p90(self) -> FloatArray:
        """90th percentile of remaining life per unit."""
        return self.quantile(0.9)

    def prob_fail_before(self, t: float) -> FloatArray:
        """P(remaining life < t) per unit, for a horizon `t` in rows (steps) from now."""
        levels, values = self._full_grid()
        out = np.empty(len(values))
        for i, row in enumerate(values):
            # np.interp needs increasing x: flat stretches of the grid are resolved to their end.
            out[i] = np.interp(t, row, levels) if row[-1] > row[0] else float(t > row[0])
        return out


class RulModel(ABC):
    """Base class of remaining-useful-life models (scikit-learn style).

    The constructor stores hyperparameters only; learned state ends in `_`; `fit` returns self.
    """

    @abstractmethod
    def fit(
        self,
        histories: Sequence[npt.ArrayLike] | pd.DataFrame,
        failure_at_end: bool = True,
        rul_at_end: Sequence[float] | None = None,
    ) -> Self:
        """Learn from histories that end at failure (`failure_at_end`), or that end with the
        known remaining life `rul_at_end` (one value per history, in rows)."""

    @abstractmethod
    def predict(self, histories: Sequence[npt.ArrayLike] | pd.DataFrame) -> RulDistribution:
        """The remaining-life distribution of each history, at its last row."""


def end_ruls(
    n_histories: int, failure_at_end: bool, rul_at_end: Sequence[float] | None
) -> FloatArray:
    """Remaining life at each history's last row, from the `fit` arguments (checked)."""
    if rul_at_end is not None:
        ends = np.asarray(rul_at_end, dtype=np.float64)
        if ends.shape != (n_histories,) or np.any(ends < 0) or not np.all(np.isfinite(ends)):
            raise ValueError(
                f"rul_at_end must hold {n_histories} finite non-negative values, "
                f"got shape {ends.shape}"
            )
        return ends
    if not failure_at_end:
        raise ValueError(
            "histories that do not end at failure need rul_at_end (remaining life at their "
            "last row); censored histories with unknown remaining life are not supported"
        )
    return np.zeros(n_histories)
