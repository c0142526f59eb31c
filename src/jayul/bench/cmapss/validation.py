"""Test-like validation weights: score out-of-fold predictions the way a benchmark scores.

A RUL benchmark such as C-MAPSS scores one prediction per test unit, at the unit's last row,
against its true (uncapped) remaining life, and the test units are cut at histories of given
lengths. Scoring every row of the held-out training units against the capped label weighs
errors differently (no error above the cap counts; every age counts alike). These weights
turn the out-of-fold rows of the training units into the test's cut: for each test history
length `a`, every held-out training unit still alive after `a` rows (at least one row of life
left) is cut there, and the cut's weight is shared equally among them, so each test history
length counts once, as each test unit does. Only the test histories' lengths are used (inputs
known at prediction time), never their remaining lives.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def cut_weights(age: FloatArray, life: FloatArray, cut_lengths: Sequence[int]) -> FloatArray:
    """Weight of each out-of-fold row (its `age`: rows seen, and its true remaining `life`)
    under cuts at `cut_lengths`. A length at which no row is eligible (shorter than the rows
    kept, or longer than every unit's life) adds nothing. Raises if no length is usable."""
    age_int = np.rint(np.asarray(age)).astype(np.int64)
    eligible = np.asarray(life) >= 1.0  # a test unit is cut before it fails
    top = int(max(age_int.max(initial=0), max(cut_lengths, default=0))) + 1
    # How many eligible rows sit at each age, and how many test histories have each length.
    alive = np.bincount(age_int[eligible], minlength=top).astype(np.float64)
    cuts = np.bincount(np.asarray(cut_lengths, dtype=np.int64), minlength=top).astype(np.float64)
    per_row = np.divide(cuts, alive, out=np.zeros(top), where=alive > 0)
    weights = np.where(eligible, per_row[age_int], 0.0)
    if weights.sum() <= 0:
        raise ValueError("no out-of-fold row matches any of the cut lengths")
    return np.asarray(weights, dtype=np.float64)


def weighted_rmse(prediction: FloatArray, target: FloatArray, weights: FloatArray) -> float:
    """Root of the weighted mean squared error."""
    return float(np.sqrt(np.sum(weights * (prediction - target) ** 2) / np.sum(weights)))


def fraction_cut_weights(
    age: FloatArray, life: FloatArray, unit: npt.NDArray[np.int64], low: float, high: float
) -> FloatArray:
    """Weight of each out-of-fold row when every unit is cut at a uniformly random fraction
    in [`low`, `high`] of its own life (units that fail at their last row: life = age +
    remaining life). Rows with no life left are not cuts (a test unit is cut before it fails);
    each unit's eligible rows share a weight of 1, so every unit counts alike. A unit with no
    eligible row adds nothing. Raises if no unit has one."""
    age = np.asarray(age, dtype=np.float64)
    life = np.asarray(life, dtype=np.float64)
    total = age + life
    eligible = (life >= 1.0) & (age >= low * total) & (age <= high * total)
    counts = np.bincount(unit, weights=eligible.astype(np.float64))
    weights = np.where(eligible, 1.0 / np.maximum(counts[unit], 1.0), 0.0)
    if weights.sum() <= 0:
        raise ValueError("no out-of-fold row falls inside the cut fractions")
    return np.asarray(weights, dtype=np.float64)
