"""Training labels: remaining life at every row of a history, piecewise-linear with a cap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class CrossValidationLayout:
    """What every unit-fold RUL model needs to cross-fit and calibrate: each unit's true life
    and capped label, folds over units (seeded), and the held-out rows that are scored (from
    `min_history` on, fewer if the unit is short), each unit weighted equally."""

    life: list[npt.NDArray[np.float64]]
    labels: list[npt.NDArray[np.float64]]
    folds: list[npt.NDArray[np.int64]]
    rows: list[npt.NDArray[np.int64]]
    weights: npt.NDArray[np.float64]
    true_life: npt.NDArray[np.float64]
    true_label: npt.NDArray[np.float64]

    @classmethod
    def build(
        cls,
        lengths: Sequence[int],
        ends: Sequence[float] | npt.NDArray[np.float64],
        cap: float,
        seed: int,
        n_folds: int,
        min_history: int,
    ) -> CrossValidationLayout:
        life = [remaining_life(n, e) for n, e in zip(lengths, ends, strict=True)]
        labels = [piecewise_linear_rul(n, cap, e) for n, e in zip(lengths, ends, strict=True)]
        order = np.random.default_rng(seed).permutation(len(lengths))
        folds = [f for f in np.array_split(order, min(n_folds, len(lengths))) if f.size]
        rows = [np.arange(min(min_history, n - 1), n) for n in lengths]
        return cls(
            life=life,
            labels=labels,
            folds=folds,
            rows=rows,
            weights=np.concatenate([np.full(len(r), 1.0 / len(r)) for r in rows]),
            true_life=np.concatenate([life[i][r] for i, r in enumerate(rows)]),
            true_label=np.concatenate([labels[i][r] for i, r in enumerate(rows)]),
        )
