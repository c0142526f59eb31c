"""Thresholds that wrap a detector, calibrated on its training rows, and alarm hysteresis.

A threshold turns scores into alarms; hysteresis turns alarms into events, so that one
abnormal episode raises one alert instead of a flicker of them.
"""

from __future__ import annotations

import copy
import itertools
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Self

import numpy as np
from numpy.typing import NDArray

from jayul.health.detector import Detector, FloatArray, as_rows


class Threshold(ABC):
    """A detector plus the score level above which a row is abnormal."""

    detector: Detector

    def fit(self, X: FloatArray) -> Self:
        """Fit the detector on normal rows, then calibrate the level on their scores."""
        X = as_rows(X)
        self.detector.fit(X)
        skip = min(self.detector.context_rows - 1, len(X) - 1)
        self.level_ = self._calibrate(self.detector.score(X)[skip:])
        return self

    def fit_held_out(self, X: FloatArray, folds: int) -> Self:
        """Fit the detector on all of `X` (normal rows in time order), but calibrate the level
        on held-out scores: `X` cut into `folds` contiguous blocks, each scored by a copy of
        the detector fitted on the other blocks.

        Scores of a detector's own training rows are optimistic, and the more so the fewer
        independent rows it learned from: on a continuous process the rows are strongly
        autocorrelated, so a few hours of commissioning hold only a handful of independent
        states, and the process's ordinary wander after it reads as abnormal. A block held
        out scores as the next hours will (a state the fit did not see), so its scores set a
        level the normal process does not cross at once."""
        X = as_rows(X)
        if folds < 2 or len(X) < 2 * folds:
            return self.fit(X)
        skip = max(self.detector.context_rows - 1, 0)
        edges = np.linspace(0, len(X), folds + 1).astype(int)
        held = []
        for start, end in itertools.pairwise(int(e) for e in edges):
            detector = copy.deepcopy(self.detector)
            detector.fit(np.vstack([X[:start], X[end:]]))
            # the block's first rows read their trailing context from the rows before it
            since = max(start - skip, 0)
            held.append(detector.score(X[since:end])[start - since if start else skip :])
        self.detector.fit(X)
        self.level_ = self._calibrate(np.concatenate(held))
        return self

    def fit_level(self, training_scores: FloatArray) -> Self:
        """Calibrate the level on scores of normal rows (the detector already fitted)."""
        self.level_ = self._calibrate(np.asarray(training_scores, dtype=np.float64))
        return self

    @abstractmethod
    def _calibrate(self, scores: FloatArray) -> float:
        """The level from scores of normal rows."""

    def score(self, X: FloatArray) -> FloatArray:
        return self.detector.score(X)

    def above(self, X: FloatArray) -> NDArray[np.bool_]:
        """Which rows score above the level."""
        result: NDArray[np.bool_] = self.detector.score(X) > self.level_
        return result


@dataclass
class QuantileThreshold(Threshold):
    """Level = `quantile` of the training scores times `margin` (a margin > 1 for safety)."""

    detector: Detector
    quantile: float = 0.99
    margin: float = 1.0

    def _calibrate(self, scores: FloatArray) -> float:
        return float(np.quantile(scores, self.quantile)) * self.margin


@dataclass
class PotThreshold(Threshold):
    """Peaks over threshold: a generalised Pareto tail fitted above the `initial_quantile`.

    The level is the score exceeded with probability `risk` under the fitted tail (SPOT,
    Siffer et al. 2017), times `margin`; it extrapolates beyond the training maximum.
    """

    detector: Detector
    risk: float = 1e-3
    initial_quantile: float = 0.98
    margin: float = 1.0

    def _calibrate(self, scores: FloatArray) -> float:
        from scipy.stats import genpareto

        base = float(np.quantile(scores, self.initial_quantile))
        excess = scores[scores > base] - base
        if len(excess) < 5 or float(np.ptp(excess)) == 0.0:
            return float(scores.max()) * self.margin
        shape, _, scale = genpareto.fit(excess, floc=0.0)
        tail_share = len(excess) / len(scores)
        ratio = self.risk / tail_share
        if abs(shape) < 1e-6:
            level = base - scale * math.log(ratio)
        else:
            level = base + scale / shape * (ratio ** (-shape) - 1.0)
        return float(level) * self.margin


@dataclass
class Hysteresis:
    """Raise when `raise_k` of the last `raise_n` rows are above the level; clear after
    `clear_m` consecutive rows below `clear_ratio` x level. State carries over between calls,
    so a stream can be fed chunk by chunk."""

    raise_k: int = 5
    raise_n: int = 5
    clear_m: int = 5
    clear_ratio: float = 1.0
    active: bool = False
    _recent: list[bool] = field(default_factory=list, repr=False)
    _below_run: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.raise_k <= self.raise_n or self.clear_m < 1:
            raise ValueError("need 1 <= raise_k <= raise_n and clear_m >= 1")

    def reset(self) -> None:
        self.active = False
        self._recent = []
        self._below_run = 0

    def update(self, scores: FloatArray, level: float) -> NDArray[np.int8]:
        """0/1 alarm state after each score."""
        out = np.zeros(len(scores), dtype=np.int8)
        low = level * self.clear_ratio
        # plain floats: the loop is per row, and NumPy scalars make each step several times slower
        for i, s in enumerate(np.asarray(scores, dtype=np.float64).tolist()):
            self._recent.append(bool(s > level))
            if len(self._recent) > self.raise_n:
                self._recent.pop(0)
            if self.active:
                self._below_run = self._below_run + 1 if s <= low else 0
                if self._below_run >= self.clear_m:
                    self.active = False
                    self._below_run = 0
                    self._recent = []
            elif sum(self._recent) >= self.raise_k:
                self.active = True
                self._below_run = 0
            out[i] = self.active
        return out


def alarm_starts(alarm: NDArray[np.int8]) -> NDArray[np.intp]:
    """Row indices where an alarm episode begins (one alert per episode)."""
    a = np.asarray(alarm).astype(np.int8)
    previous = np.concatenate([[0], a[:-1]])
    return np.flatnonzero((a == 1) & (previous == 0))
