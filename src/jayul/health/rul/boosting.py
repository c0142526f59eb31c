"""The default RUL model: gradient boosting (LightGBM) on windowed features, conformalised.

Fit, in short: split the training units into folds; for each candidate set of boosting
parameters train one model per fold on the other folds and predict every row of the held-out
units; keep the candidate with the lowest out-of-fold error on the capped label (so choices
use training units only); the kept fold models are averaged at prediction time, and their
out-of-fold residuals calibrate the quantile grid (see `conformal`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd

from jayul.health.rul.conformal import DEFAULT_LEVELS, MondrianResidualCalibrator
from jayul.health.rul.features import WindowFeatures
from jayul.health.rul.labels import CrossValidationLayout
from jayul.health.rul.model import FloatArray, RulDistribution, RulModel, as_histories, end_ruls

# Chosen among by cross-validation over the training units (see `BoostedWindowRul.fit`).
DEFAULT_CANDIDATES: tuple[Mapping[str, Any], ...] = (
    {"num_leaves": 15, "min_child_samples": 50},
    {"num_leaves": 31, "min_child_samples": 50},
)


@dataclass
class _FoldModel:
    features: WindowFeatures
    booster: lgb.LGBMRegressor

    def predict(self, histories: Sequence[FloatArray]) -> FloatArray:
        """At each history's last row, from the rows its features read (`last_row`), so a
        prediction costs the same after a year as after a week; through the bare Booster,
        whose per-call cost is far below the scikit-learn wrapper's checks on a few rows."""
        x = np.vstack([self.features.last_row(h) for h in histories])
        return np.asarray(self.booster.booster_.predict(x, num_threads=1), dtype=np.float64)


class BoostedWindowRul(RulModel):
    """LightGBM on windowed features, fold-averaged, with conformal quantiles.

        Hyperparameters (stored as given; see `WindowFeatures` for the feature ones):
        `cap`: label cap in rows (life further away than this looks the same);
        `candidates`: LightGBM parameter sets tried by cross-validation;
        `n_estimators`, `learning_rate`: boosting length and step, shared by the candidates;
        `n_folds`: folds over units, for the choice, the averaged ensemble and the calibration;
        `row_stride`: train on every k-th row of each history (neighbouring rows say little new);
        `min_history`: rows a unit must have been seen before its residuals count in calibration;
        `calibration_bins`, `calibration_age_bins`: Mondrian bins of the calibration, by
    prediction and by age (rows seen); `levels`: the quantile grid;
        `seed`: folds and boosting randomness (same seed, same model); `n_jobs`: LightGBM threads
        (1 by default: on a shared machine extra threads mostly wait on each other).
    """

    def __init__(
        self,
        cap: float = 125.0,
        windows: Sequence[int] = (10, 30, 80, 160, 320),
        baseline_rows: int = 20,
        health_index: bool = True,
        candidates: Sequence[Mapping[str, Any]] = DEFAULT_CANDIDATES,
        n_estimators: int = 200,
        learning_rate: float = 0.06,
        n_folds: int = 5,
        row_stride: int = 2,
        min_history: int = 30,
        calibration_bins: int = 4,
        calibration_age_bins: int = 3,
        levels: tuple[float, ...] = DEFAULT_LEVELS,
        seed: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.cap = cap
        self.windows = windows
        self.baseline_rows = baseline_rows
        self.health_index = health_index
        self.candidates = candidates
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.n_folds = n_folds
        self.row_stride = row_stride
        self.min_history = min_history
        self.calibration_bins = calibration_bins
        self.calibration_age_bins = calibration_age_bins
        self.levels = levels
        self.seed = seed
        self.n_jobs = n_jobs

    def _booster(self, params: Mapping[str, Any], fold: int) -> lgb.LGBMRegressor:
        return lgb.LGBMRegressor(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            max_bin=63,
            colsample_bytree=0.5,
            subsample=0.8,
            subsample_freq=1,
            random_state=self.seed * 1000 + fold,
            n_jobs=self.n_jobs,
            verbose=-1,
            **params,
        )

    def _fit_fold(
        self,
        params: Mapping[str, Any],
        fold: int,
        histories: Sequence[FloatArray],
        labels: Sequence[FloatArray],
    ) -> _FoldModel:
        features = WindowFeatures(self.windows, self.baseline_rows, self.health_index)
        features.fit(histories, labels)
        stride = max(1, self.row_stride)
        x = np.vstack([features.transform_all(h)[::stride] for h in histories])
        y = np.concatenate([label[::stride] for label in labels])
        return _FoldModel(features, self._booster(params, fold).fit(x, y))

    def fit(
        self,
        histories: Sequence[npt.ArrayLike] | pd.DataFrame,
        failure_at_end: bool = True,
        rul_at_end: Sequence[float] | None = None,
    ) -> Self:
        """Choose parameters by cross-validation over units, fit the folds, calibrate."""
        units = as_histories(histories)
        ends = end_ruls(len(units), failure_at_end, rul_at_end)
        if len(units) < 2:
            raise ValueError("need at least 2 histories to cross-validate and calibrate")
        if not self.candidates:
            raise ValueError("candidates must hold at least one parameter set")
        cv = CrossValidationLayout.build(
            [len(h) for h in units], ends, self.cap, self.seed, self.n_folds, self.min_history
        )
        labels, folds, rows = cv.labels, cv.folds, cv.rows
        weights, true_life, true_label = cv.weights, cv.true_life, cv.true_label

        best: tuple[float, int, list[_FoldModel], FloatArray] | None = None
        self.cv_rmse_: list[float] = []
        for index, params in enumerate(self.candidates):
            models, oof = self._cross_fit(params, folds, units, labels, rows)
            error = float(np.sqrt(np.sum(weights * (oof - true_label) ** 2) / weights.sum()))
            self.cv_rmse_.append(error)
            if best is None or error < best[0]:
                best = (error, index, models, oof)
        assert best is not None
        _, self.best_index_, self.models_, oof = best
        self.best_params_ = dict(self.candidates[self.best_index_])
        self.calibrator_ = MondrianResidualCalibrator(
            self.levels, self.calibration_bins, self.calibration_age_bins
        )
        age = np.concatenate([r + 1.0 for r in rows])
        self.calibrator_.fit(oof, true_life, weights, age)
        # Kept for diagnostics: out-of-fold predictions, true life and weights, row by row.
        self.oof_ = (oof, true_life, weights)
        self.n_features_in_ = units[0].shape[1]
        return self

    def _cross_fit(
        self,
        params: Mapping[str, Any],
        folds: Sequence[npt.NDArray[np.int64]],
        units: Sequence[FloatArray],
        labels: Sequence[FloatArray],
        rows: Sequence[npt.NDArray[np.int64]],
    ) -> tuple[list[_FoldModel], FloatArray]:
        """One model per fold; out-of-fold predictions at `rows` of every unit, unit order."""
        predictions: list[FloatArray] = [np.empty(0)] * len(units)
        models = []
        for k, held_out in enumerate(folds):
            if len(folds) == 1:  # a single fold cannot hold anything out: calibrate in-sample
                train = held_out
            else:
                train = np.concatenate([f for j, f in enumerate(folds) if j != k])
            model = self._fit_fold(params, k, [units[i] for i in train], [labels[i] for i in train])
            models.append(model)
            for i in held_out:
                x = model.features.transform_all(units[i])[rows[i]]
                predictions[i] = np.asarray(model.booster.predict(x))
        return models, np.concatenate(predictions)

    def predict_point(self, histories: Sequence[npt.ArrayLike] | pd.DataFrame) -> FloatArray:
        """The point prediction (fold average, capped-label scale) at each history's end."""
        units = as_histories(histories)
        if units[0].shape[1] != self.n_features_in_:
            raise ValueError(
                f"histories have {units[0].shape[1]} features, the model was fit on "
                f"{self.n_features_in_}"
            )
        point = np.mean([m.predict(units) for m in self.models_], axis=0)
        return np.asarray(np.maximum(point, 0.0), dtype=np.float64)

    def predict(self, histories: Sequence[npt.ArrayLike] | pd.DataFrame) -> RulDistribution:
        """Quantile grid of remaining life (rows) at each history's last row."""
        units = as_histories(histories)
        point = self.predict_point(units)
        age = np.array([len(h) for h in units], dtype=np.float64)
        levels = np.asarray(self.levels, dtype=np.float64)
        return RulDistribution(levels, self.calibrator_.grid(point, age))
