"""Drift of a model's inputs and scores against a reference window: PSI and KS.

PSI (population stability index) over ten quantile bins of the reference; the usual reading:
below 0.10 stable (low), 0.10-0.25 moderate (medium), above 0.25 shifted (high). The
two-sample KS test is reported next to it (with large windows KS flags tiny shifts, so the
level follows PSI).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from jayul.govern.scorecard import Rating
from jayul.records.events import RiskClass

PSI_MEDIUM = 0.10
PSI_HIGH = 0.25
_EPS = 1e-4


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """Population stability index of `current` against `reference` (NaNs dropped)."""
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if ref.size == 0 or cur.size == 0:
        return float("nan")
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    ref_share = np.bincount(np.searchsorted(edges, ref), minlength=edges.size + 1) / ref.size
    cur_share = np.bincount(np.searchsorted(edges, cur), minlength=edges.size + 1) / cur.size
    ref_share = np.maximum(ref_share, _EPS)
    cur_share = np.maximum(cur_share, _EPS)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def psi_level(value: float) -> RiskClass:
    if not np.isfinite(value) or value > PSI_HIGH:
        return RiskClass.HIGH
    return RiskClass.MEDIUM if value > PSI_MEDIUM else RiskClass.LOW


@dataclass(frozen=True)
class DriftReport:
    """PSI and KS p-value per input and for the scores, and the resulting level."""

    features: dict[str, tuple[float, float]]
    scores: tuple[float, float] | None
    level: RiskClass

    def rating(self) -> Rating:
        """The scorecard's drift dimension."""
        items = dict(self.features)
        if self.scores is not None:
            items["(scores)"] = self.scores
        top = sorted(items.items(), key=lambda kv: -np.nan_to_num(kv[1][0], nan=9.0))[:3]
        evidence = ", ".join(f"{k}: PSI {p:.3f}, KS p {q:.2g}" for k, (p, q) in top)
        return Rating(level=self.level, evidence=evidence or "nothing compared")


class DriftMonitor:
    """Compares windows of inputs (and scores) with the reference the model was trained on."""

    def __init__(
        self,
        reference: np.ndarray,
        reference_scores: np.ndarray | None = None,
        names: Sequence[str] | None = None,
    ) -> None:
        self.reference = np.asarray(reference, dtype=float)
        if self.reference.ndim != 2:
            raise ValueError("reference must be a 2-D array (rows, inputs)")
        self.reference_scores = reference_scores
        d = self.reference.shape[1]
        self.names = list(names) if names is not None else [f"x{j}" for j in range(d)]
        if len(self.names) != d:
            raise ValueError(f"{len(self.names)} names for {d} inputs")

    def check(self, current: np.ndarray, scores: np.ndarray | None = None) -> DriftReport:
        current = np.asarray(current, dtype=float)
        if current.ndim != 2 or current.shape[1] != self.reference.shape[1]:
            raise ValueError(f"current window must have {self.reference.shape[1]} columns")
        features = {
            name: _compare(self.reference[:, j], current[:, j]) for j, name in enumerate(self.names)
        }
        score_pair = None
        if scores is not None and self.reference_scores is not None:
            score_pair = _compare(self.reference_scores, scores)
        values = [p for p, _ in features.values()]
        if score_pair is not None:
            values.append(score_pair[0])
        level = max((psi_level(v) for v in values), key=_ORDER.index, default=RiskClass.LOW)
        return DriftReport(features, score_pair, level)


_ORDER = [RiskClass.LOW, RiskClass.MEDIUM, RiskClass.HIGH, RiskClass.CRITICAL]


def _compare(ref: np.ndarray, cur: np.ndarray) -> tuple[float, float]:
    from scipy.stats import ks_2samp  # imported here: scipy.stats costs ~1 s at start-up

    ref = np.asarray(ref, dtype=float)
    cur = np.asarray(cur, dtype=float)
    a, b = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    p = float(ks_2samp(a, b).pvalue) if a.size and b.size else float("nan")
    return psi(a, b), p
