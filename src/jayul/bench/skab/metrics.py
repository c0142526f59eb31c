"""SKAB leaderboard metrics: point-wise F1 / FAR / MAR, and NAB for changepoints.

The protocol is the one in `shared/data/README.md`:

- Outliers: TP, FP, FN, TN summed over all test rows of all files; F1 = TP/(TP + (FP+FN)/2),
  FAR = FP/(FP+TN) in %, MAR = FN/(FN+TP) in %.
- NAB: a window of 60 s to the right of each true changepoint; when windows overlap, the right
  one starts where the left one ends. Only the first detection in a window counts, scored on a
  scaled sigmoid from A_tp at the window's start to A_fp at its end; a detection outside every
  window counts A_fp; a window without detection counts A_fn. Scores are summed over files and
  NAB = 100 (S - S_null) / (S_perfect - S_null), where the null detector detects nothing
  (every window A_fn) and the perfect one detects at every window's start (every window A_tp).
- The scaled sigmoid is SKAB's (TSAD's "improved" scale): with x running from -pi/2 at the
  window's start to +pi/2 at its end, score = A_fp + (A_tp - A_fp)(1 - tanh(x)/tanh(pi/2))/2.
- A window covers [start, end]; when the next window starts exactly at `end` (a trimmed
  overlap), the shared instant belongs to the next window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

NAB_WINDOW = np.timedelta64(60, "s")


@dataclass(frozen=True)
class NabProfile:
    """Weights of one NAB profile (A_fp and A_fn are negative)."""

    name: str
    a_tp: float
    a_fp: float
    a_fn: float


NAB_PROFILES = (
    NabProfile("standard", 1.0, -0.11, -1.0),
    NabProfile("low_fp", 1.0, -0.22, -1.0),
    NabProfile("low_fn", 1.0, -0.11, -2.0),
)


@dataclass(frozen=True)
class OutlierCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def __add__(self, other: OutlierCounts) -> OutlierCounts:
        return OutlierCounts(
            self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn
        )

    @property
    def f1(self) -> float:
        denominator = self.tp + (self.fp + self.fn) / 2
        return self.tp / denominator if denominator > 0 else 0.0

    @property
    def far(self) -> float:
        """False alarm rate in %."""
        negatives = self.fp + self.tn
        return 100.0 * self.fp / negatives if negatives > 0 else 0.0

    @property
    def mar(self) -> float:
        """Missed alarm rate in %."""
        positives = self.fn + self.tp
        return 100.0 * self.fn / positives if positives > 0 else 0.0


def outlier_counts(truth: NDArray[np.integer], predicted: NDArray[np.integer]) -> OutlierCounts:
    """Point-wise confusion counts of 0/1 labels."""
    t = np.asarray(truth).astype(bool)
    p = np.asarray(predicted).astype(bool)
    if t.shape != p.shape:
        raise ValueError(f"truth has shape {t.shape}, prediction {p.shape}")
    return OutlierCounts(
        tp=int(np.sum(t & p)),
        fp=int(np.sum(~t & p)),
        fn=int(np.sum(t & ~p)),
        tn=int(np.sum(~t & ~p)),
    )


def label_switches(labels: NDArray[np.integer]) -> NDArray[np.int8]:
    """Predicted changepoints of a detector that names none: where its 0/1 label switches."""
    lab = np.asarray(labels).astype(np.int8)
    switches = np.zeros(len(lab), dtype=np.int8)
    if len(lab) > 1:
        switches[1:] = (np.diff(lab) != 0).astype(np.int8)
    return switches


def nab_windows(
    times: NDArray[np.datetime64], changepoints: NDArray[np.integer]
) -> list[tuple[np.datetime64, np.datetime64]]:
    """(start, end) of each true changepoint's window, overlaps trimmed from the left."""
    windows: list[tuple[np.datetime64, np.datetime64]] = []
    for t in np.asarray(times)[np.asarray(changepoints).astype(bool)]:
        start, end = t, t + NAB_WINDOW
        if windows and start < windows[-1][1]:
            start = windows[-1][1]
        if start < end:
            windows.append((start, end))
    return windows


def scaled_sigmoid(position: float, profile: NabProfile) -> float:
    """A detection's score at `position` in [0, 1] of its window: A_tp at 0, A_fp at 1."""
    x = math.pi * (position - 0.5)
    share = (1.0 - math.tanh(x) / math.tanh(math.pi / 2)) / 2.0
    return profile.a_fp + (profile.a_tp - profile.a_fp) * share


@dataclass(frozen=True)
class NabScore:
    """Raw NAB sums of one or more files for one profile; `nab` normalises them."""

    score: float
    null: float
    perfect: float

    def __add__(self, other: NabScore) -> NabScore:
        return NabScore(
            self.score + other.score, self.null + other.null, self.perfect + other.perfect
        )

    @property
    def nab(self) -> float:
        span = self.perfect - self.null
        return 100.0 * (self.score - self.null) / span if span > 0 else 0.0


def nab_file_score(
    times: NDArray[np.datetime64],
    true_changepoints: NDArray[np.integer],
    predicted_changepoints: NDArray[np.integer],
    profile: NabProfile,
) -> NabScore:
    """NAB raw score of one file's test part for one profile."""
    windows = nab_windows(times, true_changepoints)
    detections = np.asarray(times)[np.asarray(predicted_changepoints).astype(bool)]
    hit: list[float | None] = [None] * len(windows)
    score = 0.0
    for t in detections:
        index = _window_of(t, windows)
        if index is None:
            score += profile.a_fp
        elif hit[index] is None:
            start, end = windows[index]
            position = float((t - start) / (end - start))
            hit[index] = scaled_sigmoid(position, profile)
    score += sum(profile.a_fn if h is None else h for h in hit)
    return NabScore(
        score=score, null=profile.a_fn * len(windows), perfect=profile.a_tp * len(windows)
    )


def _window_of(
    t: np.datetime64, windows: Sequence[tuple[np.datetime64, np.datetime64]]
) -> int | None:
    for i, (start, end) in enumerate(windows):
        next_starts_here = i + 1 < len(windows) and windows[i + 1][0] == end
        if start <= t and (t < end or (t == end and not next_starts_here)):
            return i
    return None
