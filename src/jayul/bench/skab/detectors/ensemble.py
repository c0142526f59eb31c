"""An ensemble that averages its members' scores, each in units of its own normal level."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np

from jayul.health.detector import Detector, Explanation, FloatArray, as_rows, shares_from_parts


class EnsembleDetector(Detector):
    """Mean (or max) of member scores, each divided by its `reference_quantile` on the
    training rows. With members that differ only in window, `combine="max"` is a multi-scale
    detector: short windows catch large shifts fast, long ones small shifts late.

    Members are fitted on the same rows. The explanation is the members' shares weighted by
    their normalised scores, so a member that alarms explains more.
    """

    def __init__(
        self,
        members: Sequence[Detector],
        reference_quantile: float = 0.99,
        combine: str = "mean",
    ) -> None:
        self.members = list(members)
        self.reference_quantile = reference_quantile
        self.combine = combine

    @property
    def context_rows(self) -> int:
        return max(m.context_rows for m in self.members)

    def fit(self, X: FloatArray) -> Self:
        X = as_rows(X)
        if not self.members:
            raise ValueError("an ensemble needs at least one member")
        if self.combine not in ("mean", "max"):
            raise ValueError(f"combine must be 'mean' or 'max', not {self.combine!r}")
        self.fitted_members_ = [m.clone().fit(X) for m in self.members]
        skip = min(self.context_rows - 1, len(X) - 1)
        self.references_ = np.array(
            [
                max(float(np.quantile(m.score(X)[skip:], self.reference_quantile)), 1e-9)
                for m in self.fitted_members_
            ]
        )
        self.n_signals_ = X.shape[1]
        self.fitted_ = True
        return self

    def _normalised(self, X: FloatArray) -> FloatArray:
        result: FloatArray = np.stack(
            [m.score(X) / r for m, r in zip(self.fitted_members_, self.references_, strict=True)]
        )
        return result

    def score(self, X: FloatArray) -> FloatArray:
        self._check_fitted()
        normalised = self._normalised(as_rows(X, self.n_signals_))
        result: FloatArray = (
            normalised.mean(axis=0) if self.combine == "mean" else normalised.max(axis=0)
        )
        return result

    def explain(self, X: FloatArray) -> Explanation:
        self._check_fitted()
        X = as_rows(X, self.n_signals_)
        weights = self._normalised(X)  # (members, rows)
        parts = np.zeros_like(X)
        z = np.zeros_like(X)
        for w, m in zip(weights, self.fitted_members_, strict=True):
            e = m.explain(X)
            parts += e.shares * w[:, None]
            z += e.z / len(self.fitted_members_)
        return Explanation(shares_from_parts(parts), np.sign(z).astype(np.int8), z)
