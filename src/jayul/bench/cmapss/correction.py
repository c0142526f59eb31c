"""A correction of the blend's point prediction, fitted on its out-of-fold predictions.

Averaging members and folds pulls a point prediction toward the middle of the label's range
(too low where the label is high, too high near failure); a monotone map from the blended
out-of-fold prediction to the label, fitted on training units only, can undo part of that.
Two kinds: `linear` (weighted least squares, `a + b * p`) and `isotonic` (the weighted
least-squares non-decreasing step map, flat beyond the fitted range).
"""

from __future__ import annotations

from typing import Self

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
KINDS = ("linear", "isotonic")


class PointCorrection:
    """`kind` one of `KINDS`; `fit(prediction, target, weights)`, then `apply(prediction)`."""

    def __init__(self, kind: str = "linear") -> None:
        self.kind = kind

    def fit(self, prediction: FloatArray, target: FloatArray, weights: FloatArray) -> Self:
        p = np.asarray(prediction, dtype=np.float64)
        y = np.asarray(target, dtype=np.float64)
        w = np.asarray(weights, dtype=np.float64)
        if self.kind == "linear":
            design = np.column_stack([np.ones_like(p), p]) * np.sqrt(w)[:, None]
            coef, *_ = np.linalg.lstsq(design, y * np.sqrt(w), rcond=None)
            self.coef_ = (float(coef[0]), float(coef[1]))
        elif self.kind == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            self.isotonic_ = IsotonicRegression(out_of_bounds="clip").fit(p, y, sample_weight=w)
        else:
            raise ValueError(f"unknown correction {self.kind!r}; known: {', '.join(KINDS)}")
        return self

    def apply(self, prediction: FloatArray) -> FloatArray:
        p = np.asarray(prediction, dtype=np.float64)
        if self.kind == "linear":
            out = self.coef_[0] + self.coef_[1] * p
        else:
            out = self.isotonic_.predict(p)
        return np.asarray(out, dtype=np.float64)
