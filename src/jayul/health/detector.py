"""The `Detector` interface: fit on normal data, causal scores, per-signal explanations.

In the style of River and PyOD: the constructor stores hyperparameters only, learned state ends
in `_`, `fit` returns `self`, a higher score means more anomalous. Scoring a batch is causal:
the score of row t depends on rows <= t only, and on at most `context_rows` of them, so a
stream can be scored chunk by chunk (`StreamScorer`) with the same result as the whole batch.
"""

from __future__ import annotations

import copy
import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Explanation:
    """Each signal's part in each row's score.

    shares: (rows, signals), non-negative, each row sums to 1.
    directions: (rows, signals), +1 above normal, -1 below, 0 unknown.
    z: (rows, signals), deviation in the detector's own standard units (signed).
    """

    shares: FloatArray
    directions: NDArray[np.int8]
    z: FloatArray


class Detector(ABC):
    """An anomaly detector over rows of signals (n_rows, n_signals)."""

    @abstractmethod
    def fit(self, X: FloatArray) -> Self:
        """Learn normal behaviour from rows assumed normal; return self."""

    @abstractmethod
    def score(self, X: FloatArray) -> FloatArray:
        """Causal anomaly score of every row of the batch (n_rows,); higher is worse."""

    @abstractmethod
    def explain(self, X: FloatArray) -> Explanation:
        """Each signal's share of each row's score, from the detector's own model."""

    @property
    def context_rows(self) -> int:
        """How many rows (the current one included) a row's score depends on."""
        return 1

    def directions(self, X: FloatArray) -> NDArray[np.int8]:
        """Signs of each signal's deviation (+1 above normal, -1 below)."""
        return self.explain(X).directions

    def get_params(self) -> dict[str, Any]:
        """The constructor's arguments, read back from attributes of the same names."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def clone(self) -> Self:
        """An unfitted copy with the same hyperparameters (detectors inside are cloned too)."""
        params = {k: _clone_param(v) for k, v in self.get_params().items()}
        return type(self)(**params)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _check_fitted(self) -> None:
        if not getattr(self, "fitted_", False):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit() first")


def _clone_param(value: Any) -> Any:
    if isinstance(value, Detector):
        return value.clone()
    if isinstance(value, list | tuple):
        return type(value)(_clone_param(v) for v in value)
    return copy.deepcopy(value)


def as_rows(X: Any, n_signals: int | None = None) -> FloatArray:
    """Validate a batch: a finite 2-D float array, with `n_signals` columns when given."""
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D array (rows, signals), got shape {arr.shape}")
    if n_signals is not None and arr.shape[1] != n_signals:
        raise ValueError(f"expected {n_signals} signals, got {arr.shape[1]}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("rows contain NaN or infinite values")
    return arr


def shares_from_parts(parts: FloatArray) -> FloatArray:
    """Normalise non-negative per-signal parts to shares summing to 1 (uniform when all 0)."""
    parts = np.maximum(parts, 0.0)
    total = parts.sum(axis=1, keepdims=True)
    uniform = np.full_like(parts, 1.0 / parts.shape[1])
    safe = np.where(total > 0, total, 1.0)
    return np.where(total > 0, parts / safe, uniform)


class StreamScorer:
    """Scores consecutive chunks of one stream; equals scoring their concatenation at once."""

    def __init__(self, detector: Detector) -> None:
        self.detector = detector
        self._context: FloatArray | None = None
        self._last: tuple[FloatArray, int] | None = None

    def score(self, chunk: FloatArray) -> FloatArray:
        """Scores of the chunk's rows, using the rows kept from earlier chunks as history."""
        chunk = np.asarray(chunk, dtype=np.float64)
        joined = chunk if self._context is None else np.vstack([self._context, chunk])
        self._last = (joined, len(joined) - len(chunk))
        keep = max(self.detector.context_rows - 1, 0)
        self._context = joined[max(len(joined) - keep, 0) :]  # a short first chunk stays whole
        return self.detector.score(joined)[self._last[1] :]

    def explain_last(self) -> Explanation:
        """The explanation of the chunk last given to `score`, with the same history."""
        if self._last is None:
            raise RuntimeError("nothing scored yet")
        joined, skip = self._last
        e = self.detector.explain(joined)
        return Explanation(e.shares[skip:], e.directions[skip:], e.z[skip:])
