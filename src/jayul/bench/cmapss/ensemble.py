"""A blend of model families on the same windowed features, fold-averaged, conformalised.

Fit, in short: split the training units into folds; in each fold compute the windowed features
once and train every member (LightGBM, extremely randomised trees, ...) on the other folds,
predicting every row of the held-out units; choose the blend weights (a grid over the simplex)
that minimise the out-of-fold error on the capped label, so the choice uses training units
only; calibrate the quantile grid on the blended out-of-fold residuals (see `conformal`).
At prediction time each fold blends its members with those weights and the folds are averaged.

Two families that err differently (boosted shallow trees fit residual structure step by step;
randomised deep trees average many coarse partitions) make a blend more accurate than either.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from typing import Any, Self

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd

from jayul.bench.cmapss.correction import PointCorrection
from jayul.bench.cmapss.fold import HISTORY_MEMBERS, Fold, predict_features
from jayul.bench.cmapss.mlp import MlpRegressor
from jayul.bench.cmapss.sequence import ConvSequenceRegressor
from jayul.bench.cmapss.similarity import TrajectoryMatchRegressor
from jayul.bench.cmapss.validation import cut_weights, weighted_rmse
from jayul.bench.runner import run_tasks
from jayul.health.rul.conformal import DEFAULT_LEVELS, MondrianResidualCalibrator
from jayul.health.rul.features import WindowFeatures
from jayul.health.rul.labels import CrossValidationLayout
from jayul.health.rul.model import FloatArray, RulDistribution, RulModel, as_histories, end_ruls

# (family, parameters): the blend's members, all trained on the same features of each fold.
# Chosen by cross-validation over the C-MAPSS FD001 training engines (docs/benchmarks/cmapss.md):
# LightGBM with squared loss, LightGBM with a Huber loss (less pulled by the noisy label near
# the cap), and extremely randomised trees, whose errors differ most from the boosting's.
DEFAULT_MEMBERS: tuple[tuple[str, Mapping[str, Any]], ...] = (
    ("lightgbm", {"num_leaves": 15, "min_child_samples": 50}),
    ("lightgbm", {"num_leaves": 31, "min_child_samples": 50, "objective": "huber", "alpha": 15.0}),
    ("extra_trees", {"n_estimators": 100, "min_samples_leaf": 10, "max_features": 0.5}),
)
# "trajectory" (`similarity.TrajectoryMatchRegressor`, matching health-index paths) is not
# among the defaults: on FD001 it got blend weight 0 (docs/benchmarks/cmapss.md, round 4).
# "conv" (`sequence.ConvSequenceRegressor`, a dilated 1-D CNN on the raw history) needs the
# optional torch extra.
# "mlp" (`mlp.MlpRegressor`, a small neural network on the windowed features) is not either:
# it failed round 9's rule (docs/benchmarks/cmapss.md).
FAMILIES = ("lightgbm", "extra_trees", "trajectory", "conv", "mlp")


def simplex_weights(
    predictions: FloatArray, target: FloatArray, weights: FloatArray, step: float
) -> tuple[FloatArray, float]:
    """Blend weights (non-negative, summing to 1, multiples of `step`) with the lowest
    weighted RMSE of `weights @ predictions` (members x rows) against `target`; ties go to the
    first grid point found, so the result is deterministic."""
    n_members = predictions.shape[0]
    steps = max(1, round(1.0 / step))
    best: tuple[float, FloatArray] | None = None
    for head in itertools.product(range(steps + 1), repeat=n_members - 1):
        if sum(head) > steps:
            continue
        blend = np.array([*head, steps - sum(head)], dtype=np.float64) / steps
        error = float(
            np.sqrt(np.sum(weights * (blend @ predictions - target) ** 2) / weights.sum())
        )
        if best is None or error < best[0] - 1e-12:
            best = (error, blend)
    assert best is not None
    return best[1], best[0]


class BlendedWindowRul(RulModel):
    """Several model families on windowed features, blended by cross-validation, fold-averaged,
    with conformal quantiles. The C-MAPSS benchmark's default model.

    Hyperparameters (stored as given; see `WindowFeatures` for the feature ones):
    `cap`: label cap in rows; `members`: (family, parameters) pairs, family one of `FAMILIES`;
    `n_estimators`, `learning_rate`: LightGBM length and step (an `n_estimators` in a
    member's own parameters wins); `n_folds`: folds over units, for the weights, the averaged
    ensemble and the calibration; `row_stride`: train on every k-th row of each history;
    `weight_step`: grid step of the blend weights; `min_history`: rows a unit must have been
    seen before its residuals count in the weights and the calibration;
    `calibration_bins`, `calibration_age_bins`: Mondrian bins by prediction and by age;
    `levels`: the quantile grid; `seed`: folds and model randomness; `n_jobs`: threads per
    member; `fold_jobs`: folds fitted at once, each in a worker process (the fitted model is
    the same for any value: each fold has its own seed); `cut_lengths`: if given, the lengths
    of the histories the model will be asked about (e.g. the test histories: inputs, not
    their lives): the blend weights are then chosen, and the calibration weighted, on the
    out-of-fold rows cut at those lengths and scored against the true (uncapped) remaining
    life, as a benchmark scores (`validation.cut_weights`); if None, every row from
    `min_history` on counts, each unit alike, against the capped label;
    `correction`: None, or a `correction.PointCorrection` kind ("linear", "isotonic") fitted
    on the blended out-of-fold predictions against the same target and weights as the blend
    weights, and applied to the blend before calibration and at prediction.
    """

    def __init__(
        self,
        cap: float = 125.0,
        windows: Sequence[int] = (10, 30, 80, 160, 320),
        baseline_rows: int = 20,
        health_index: bool = True,
        members: Sequence[tuple[str, Mapping[str, Any]]] = DEFAULT_MEMBERS,
        n_estimators: int = 200,
        learning_rate: float = 0.06,
        n_folds: int = 5,
        row_stride: int = 2,
        weight_step: float = 0.05,
        min_history: int = 30,
        calibration_bins: int = 4,
        calibration_age_bins: int = 3,
        levels: tuple[float, ...] = DEFAULT_LEVELS,
        seed: int = 0,
        n_jobs: int = 1,
        fold_jobs: int = 1,
        cut_lengths: Sequence[int] | None = None,
        correction: str | None = None,
        trend_spans: Sequence[int] = (),
    ) -> None:
        self.cap = cap
        self.windows = windows
        self.baseline_rows = baseline_rows
        self.health_index = health_index
        self.members = members
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.n_folds = n_folds
        self.row_stride = row_stride
        self.weight_step = weight_step
        self.min_history = min_history
        self.calibration_bins = calibration_bins
        self.calibration_age_bins = calibration_age_bins
        self.levels = levels
        self.seed = seed
        self.n_jobs = n_jobs
        self.fold_jobs = fold_jobs
        self.cut_lengths = cut_lengths
        self.correction = correction
        self.trend_spans = trend_spans

    def _member(self, family: str, params: Mapping[str, Any], fold: int) -> Any:
        random_state = self.seed * 1000 + fold
        params = {k: v for k, v in params.items() if k != "features"}  # read by _cross_fit
        if family == "lightgbm":
            settings: dict[str, Any] = {
                "n_estimators": self.n_estimators,
                "learning_rate": self.learning_rate,
                "max_bin": 63,
                "colsample_bytree": 0.5,
                "subsample": 0.8,
                "subsample_freq": 1,
                "random_state": random_state,
                "n_jobs": self.n_jobs,
                "verbose": -1,
            }
            return lgb.LGBMRegressor(**{**settings, **params})
        if family == "extra_trees":
            # imported here: importing `jayul.health.rul` (the twin's fleet models do) need
            # not pay for scikit-learn's ensemble module
            from sklearn.ensemble import ExtraTreesRegressor

            return ExtraTreesRegressor(
                **{"random_state": random_state, "n_jobs": self.n_jobs, **params}
            )
        if family == "trajectory":
            return TrajectoryMatchRegressor(**{"cap": self.cap, **params})
        if family == "conv":
            settings = {"cap": self.cap, "seed": random_state, "n_threads": self.n_jobs}
            return ConvSequenceRegressor(**{**settings, **params})
        if family == "mlp":
            settings = {"cap": self.cap, "seed": random_state, "n_threads": self.n_jobs}
            return MlpRegressor(**{**settings, **params})
        raise ValueError(f"unknown member family {family!r}; known: {', '.join(FAMILIES)}")

    def _feature_settings(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """(windows, baseline_rows, health_index, trend_spans) a member reads: the model's own,
        or those a member overrides with a "features" entry in its parameters."""
        own = dict(params.get("features", {}))
        unknown = set(own) - {"windows", "baseline_rows", "health_index", "trend_spans"}
        if unknown:
            raise ValueError(f"unknown member feature settings: {sorted(unknown)}")
        return (
            tuple(own.get("windows", self.windows)),
            int(own.get("baseline_rows", self.baseline_rows)),
            bool(own.get("health_index", self.health_index)),
            tuple(own.get("trend_spans", getattr(self, "trend_spans", ()))),
        )

    def fit(
        self,
        histories: Sequence[npt.ArrayLike] | pd.DataFrame,
        failure_at_end: bool = True,
        rul_at_end: Sequence[float] | None = None,
    ) -> Self:
        """Fit every member in every fold, choose the blend weights out-of-fold, calibrate."""
        cpu_start = time.process_time()
        # One memory layout (column-major, as the benchmark's histories, which are column
        # views of one table) for every history: numpy's reductions round differently by
        # layout, and a fold fitted in a worker process gets a pickled copy, which keeps a
        # contiguous layout but not a view's strides. So the same model whatever `fold_jobs`.
        units = [np.asfortranarray(u) for u in as_histories(histories)]
        ends = end_ruls(len(units), failure_at_end, rul_at_end)
        if len(units) < 2:
            raise ValueError("need at least 2 histories to cross-validate and calibrate")
        if not self.members:
            raise ValueError("members must hold at least one (family, parameters) pair")
        for family, _ in self.members:
            if family not in FAMILIES:
                raise ValueError(f"unknown member family {family!r}; known: {', '.join(FAMILIES)}")
        cv = CrossValidationLayout.build(
            [len(h) for h in units], ends, self.cap, self.seed, self.n_folds, self.min_history
        )
        labels, folds, rows = cv.labels, cv.folds, cv.rows
        weights, true_life, true_label = cv.weights, cv.true_life, cv.true_label

        self.folds_, oof = self._cross_fit(folds, units, labels, rows, ends)
        self.cv_rmse_ = [
            float(np.sqrt(np.sum(weights * (p - true_label) ** 2) / weights.sum())) for p in oof
        ]
        age = np.concatenate([r + 1.0 for r in rows])
        if self.cut_lengths is None:
            self.weights_, self.cv_rmse_blend_ = simplex_weights(
                oof, true_label, weights, self.weight_step
            )
            calibration_weights = weights
            target = true_label
        else:
            # Choose and calibrate as the benchmark scores: cuts at the given lengths, the
            # uncapped life as truth.
            calibration_weights = cut_weights(age, true_life, self.cut_lengths)
            self.weights_, self.cv_rmse_cut_blend_ = simplex_weights(
                oof, true_life, calibration_weights, self.weight_step
            )
            self.cv_rmse_blend_ = weighted_rmse(self.weights_ @ oof, true_label, weights)
            target = true_life
        blended = self.weights_ @ oof
        self.correction_: PointCorrection | None = None
        if self.correction is not None:
            self.correction_ = PointCorrection(self.correction).fit(
                blended, target, calibration_weights
            )
            blended = self.correction_.apply(blended)
        self.calibrator_ = MondrianResidualCalibrator(
            self.levels, self.calibration_bins, self.calibration_age_bins
        )
        self.calibrator_.fit(blended, true_life, calibration_weights, age)
        # Kept for diagnostics and model selection: blended out-of-fold predictions, true life
        # and the weights used; every member's out-of-fold predictions, the capped label, the
        # age of each row and the default (per-unit) weights.
        self.oof_ = (blended, true_life, calibration_weights)
        self.oof_members_ = oof
        self.oof_rows_ = (true_label, age, weights)
        # ... and which unit, and which fold (the one that held the unit out), each row is of.
        unit_of_row = np.concatenate([np.full(len(r), i) for i, r in enumerate(rows)])
        fold_of_unit = np.empty(len(units), dtype=np.int64)
        for k, fold_units in enumerate(folds):
            fold_of_unit[fold_units] = k
        self.oof_units_ = (unit_of_row, fold_of_unit[unit_of_row])
        self.n_features_in_ = units[0].shape[1]
        # CPU seconds of the whole fit: this process's, plus the worker processes' folds.
        workers = sum(self.fold_cpu_seconds_) if self.fold_processes_ > 1 else 0.0
        self.fit_cpu_seconds_ = time.process_time() - cpu_start + workers
        return self

    def _cross_fit(
        self,
        folds: Sequence[npt.NDArray[np.int64]],
        units: Sequence[FloatArray],
        labels: Sequence[FloatArray],
        rows: Sequence[npt.NDArray[np.int64]],
        ends: Sequence[float] | FloatArray,
    ) -> tuple[list[Fold], FloatArray]:
        """One feature map and one model per member per fold; out-of-fold predictions
        (members x rows) at `rows` of every unit, in unit order. With `fold_jobs` > 1 the folds
        are fitted that many at a time in worker processes; each fold's fit is the same
        either way (its own seed, `n_jobs` threads), so the model does not depend on it."""
        predictions: list[FloatArray] = [np.empty((len(self.members), 0))] * len(units)
        ends_list = [float(e) for e in ends]
        jobs = max(1, min(self.fold_jobs, len(folds)))
        # with jobs > 1: Ray tasks when Ray is installed, else joblib's processes (not a fork:
        # LightGBM's OpenMP threads may already have run in this process)
        fitted = run_tasks(
            lambda k: self._fit_fold(k, folds, units, labels, rows, ends_list),
            range(len(folds)),
            jobs,
            pool="joblib",
        )
        self.fold_cpu_seconds_ = [cpu for _, _, cpu in fitted]
        self.fold_processes_ = jobs
        for (_, held_out_predictions, _), held_out in zip(fitted, folds, strict=True):
            for i, p in zip(held_out, held_out_predictions, strict=True):
                predictions[i] = p
        return [fold for fold, _, _ in fitted], np.concatenate(predictions, axis=1)

    def _fit_fold(
        self,
        k: int,
        folds: Sequence[npt.NDArray[np.int64]],
        units: Sequence[FloatArray],
        labels: Sequence[FloatArray],
        rows: Sequence[npt.NDArray[np.int64]],
        ends: Sequence[float],
    ) -> tuple[Fold, list[FloatArray], float]:
        """Fold `k`: its members fitted on the other folds, their predictions (members x
        rows) for each of its held-out units in fold order, and the CPU seconds it took."""
        cpu_start = time.process_time()
        held_out = folds[k]
        if len(folds) == 1:  # a single fold cannot hold anything out: calibrate in-sample
            train = held_out
        else:
            train = np.concatenate([f for j, f in enumerate(folds) if j != k])
        stride = max(1, self.row_stride)
        train_units = [units[i] for i in train]
        train_labels = [labels[i] for i in train]
        # One feature map per distinct feature setting among the members (usually one).
        settings = [self._feature_settings(p) for _, p in self.members]
        maps: dict[tuple[Any, ...], tuple[WindowFeatures, FloatArray]] = {}
        for key in dict.fromkeys(settings):
            windows, baseline_rows, health_index, trend_spans = key
            view = WindowFeatures(
                windows, baseline_rows, health_index, trend_spans=trend_spans
            ).fit(train_units, train_labels)
            x = np.vstack([view.transform_all(u)[::stride] for u in train_units])
            maps[key] = (view, x)
        y = np.concatenate([label[::stride] for label in train_labels])
        members = [
            self._member(f, p, k).fit(maps[key][0], train_units, [ends[i] for i in train])
            if f == "trajectory"
            else self._member(f, p, k).fit(maps[key][0], train_units, train_labels)
            if f == "conv"
            else self._member(f, p, k).fit(maps[key][1], y)
            for (f, p), key in zip(self.members, settings, strict=True)
        ]
        views = [maps[key][0] for key in settings]
        own_key = self._feature_settings({})  # the model's own settings
        fold = Fold(maps[own_key][0] if own_key in maps else views[0], members, views)
        held_out_predictions = []
        for i in held_out:
            x_held = {key: view.transform_all(units[i])[rows[i]] for key, (view, _) in maps.items()}
            held_out_predictions.append(
                np.array(
                    [
                        m.predict_rows(units[i], rows[i])
                        if isinstance(m, HISTORY_MEMBERS)
                        else predict_features(m, x_held[key])
                        for m, key in zip(members, settings, strict=True)
                    ]
                )
            )
        return fold, held_out_predictions, time.process_time() - cpu_start

    def predict_point(self, histories: Sequence[npt.ArrayLike] | pd.DataFrame) -> FloatArray:
        """The point prediction (blend, fold average, capped-label scale) at each history's
        end."""
        units = as_histories(histories)
        if units[0].shape[1] != self.n_features_in_:
            raise ValueError(
                f"histories have {units[0].shape[1]} features, the model was fit on "
                f"{self.n_features_in_}"
            )
        point = np.mean([fold.predict(units, self.weights_) for fold in self.folds_], axis=0)
        if getattr(self, "correction_", None) is not None:  # absent in models pickled before
            point = self.correction_.apply(point)  # type: ignore[union-attr]
        return np.asarray(np.maximum(point, 0.0), dtype=np.float64)

    def predict(self, histories: Sequence[npt.ArrayLike] | pd.DataFrame) -> RulDistribution:
        """Quantile grid of remaining life (rows) at each history's last row."""
        units = as_histories(histories)
        point = self.predict_point(units)
        age = np.array([len(h) for h in units], dtype=np.float64)
        levels = np.asarray(self.levels, dtype=np.float64)
        return RulDistribution(levels, self.calibrator_.grid(point, age))
