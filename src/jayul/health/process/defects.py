"""Quality inspection by classification: which defect a product shows, with how much certainty
and why.

Gradient-boosted trees (LightGBM) learn the defect classes from the inspection features;
their probabilities are calibrated by cross-validated sigmoid scaling (scikit-learn's
`CalibratedClassifierCV`), so "80 %" means right about four times in five, which is what a
person deciding on a borderline part needs. Each prediction is explained per class by the
trees' own additive feature contributions (TreeSHAP, LightGBM's `pred_contrib`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray
from sklearn.calibration import CalibratedClassifierCV

from jayul.health.detector import FloatArray, as_rows


@dataclass(frozen=True)
class DefectReason:
    """The features that pushed one prediction towards its class, strongest first."""

    label: str
    probability: float
    drivers: list[tuple[str, float]]  # (feature, contribution in log-odds), positive = towards

    def sentence(self) -> str:
        parts = ", ".join(f"{name} ({value:+.2f})" for name, value in self.drivers)
        return f"{self.label} ({100 * self.probability:.0f} %): {parts}"


class DefectClassifier:
    """Calibrated gradient-boosted defect classes with per-class contributions."""

    def __init__(
        self,
        n_estimators: int = 400,
        learning_rate: float = 0.03,
        num_leaves: int = 15,
        calibration_folds: int = 3,
        seed: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.calibration_folds = calibration_folds
        self.seed = seed

    def get_params(self) -> dict[str, Any]:
        return {
            "n_estimators": self.n_estimators,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "calibration_folds": self.calibration_folds,
            "seed": self.seed,
        }

    def _trees(self) -> lgb.LGBMClassifier:
        return lgb.LGBMClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.7,
            random_state=self.seed,
            n_jobs=1,
            verbose=-1,
        )

    def fit(self, X: FloatArray, y: Sequence[str] | NDArray[Any], features: Sequence[str]) -> Self:
        X = as_rows(X, len(features))
        labels = np.asarray(y).astype(str)
        self.features_ = list(features)
        self.classes_ = np.unique(labels)
        if len(self.classes_) < 2:
            raise ValueError("need at least two defect classes to learn from")
        self.trees_ = self._trees().fit(X, labels)
        self.calibrated_ = CalibratedClassifierCV(
            self._trees(), method="sigmoid", cv=self.calibration_folds
        ).fit(X, labels)
        return self

    def predict_proba(self, X: FloatArray) -> FloatArray:
        """Calibrated probabilities (rows, classes) in the order of `classes_`."""
        proba: FloatArray = self.calibrated_.predict_proba(as_rows(X, len(self.features_)))
        return proba

    def predict(self, X: FloatArray) -> NDArray[np.str_]:
        result: NDArray[np.str_] = self.classes_[self.predict_proba(X).argmax(axis=1)]
        return result

    def explain(self, X: FloatArray, top: int = 3) -> list[DefectReason]:
        """Per row: the predicted class, its probability and the `top` features towards it."""
        X = as_rows(X, len(self.features_))
        proba = self.predict_proba(X)
        width = len(self.features_) + 1  # contributions then the bias, per class
        contrib = np.asarray(self.trees_.predict(X, pred_contrib=True)).reshape(
            len(X), len(self.classes_), width
        )
        reasons = []
        for i, k in enumerate(proba.argmax(axis=1)):
            row = contrib[i, k, :-1]
            order = np.argsort(row)[::-1][:top]
            reasons.append(
                DefectReason(
                    str(self.classes_[k]),
                    float(proba[i, k]),
                    [(self.features_[j], float(row[j])) for j in order],
                )
            )
        return reasons
