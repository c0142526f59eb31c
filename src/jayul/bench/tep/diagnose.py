"""Diagnosis and soft-sensor figures of `jayul bench tep`, each against its peer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.cross_decomposition import PLSRegression
from sklearn.ensemble import RandomForestClassifier

from jayul.bench.tep.data import (
    ANALYSER_DELAY,
    FAST_INPUTS,
    PRODUCT_ANALYSER,
    TepData,
)
from jayul.health.process import FaultClassifier, SoftSensor, analyser_pairs

N_TREES = 200  # both classifiers


def after_onset(data: TepData) -> tuple[list[np.ndarray], NDArray[np.int64]]:
    """The scored rows of the diagnosis protocol: d00_te whole, the fault files after onset."""
    rows = [data.test[0]] + [data.test[j][data.onset :] for j in data.test if j]
    labels = np.concatenate(
        [np.zeros(len(data.test[0]), np.int64)]
        + [np.full(len(data.test[j]) - data.onset, j, np.int64) for j in data.test if j]
    )
    return rows, labels


@dataclass(frozen=True)
class Diagnosis:
    classifier: FaultClassifier
    predicted: dict[int, NDArray[np.int64]]  # per test file, every row
    accuracy: float
    per_fault: dict[int, float]
    peer_accuracy: float
    peer_per_fault: dict[int, float]


def diagnose(data: TepData, seed: int = 0, trees: int = N_TREES) -> Diagnosis:
    clf = FaultClassifier(n_estimators=trees, seed=seed).fit(data.train)
    predicted = {j: clf.predict(x) for j, x in data.test.items()}
    peer = RandomForestClassifier(n_estimators=trees, random_state=seed, n_jobs=-1)
    peer.fit(
        np.vstack(list(data.train.values())),
        np.concatenate([np.full(len(x), j) for j, x in data.train.items()]),
    )
    peer_pred = {j: peer.predict(x) for j, x in data.test.items()}
    return Diagnosis(
        clf,
        predicted,
        _accuracy(predicted, data.onset),
        _per_fault(predicted, data.onset),
        _accuracy(peer_pred, data.onset),
        _per_fault(peer_pred, data.onset),
    )


def _scored(j: int, pred: np.ndarray, onset: int) -> np.ndarray:
    return pred if j == 0 else pred[onset:]


def _per_fault(pred: dict[int, np.ndarray], onset: int) -> dict[int, float]:
    return {j: float(np.mean(_scored(j, p, onset) == j)) for j, p in pred.items()}


def _accuracy(pred: dict[int, np.ndarray], onset: int) -> float:
    hits = sum(int(np.sum(_scored(j, p, onset) == j)) for j, p in pred.items())
    return hits / sum(len(_scored(j, p, onset)) for j, p in pred.items())


@dataclass(frozen=True)
class SoftSensorScores:
    rmse: list[float]  # per product quantity (XMEAS 37-41)
    peer_rmse: list[float]  # PLS on the current row's inputs
    mean_rmse: list[float]  # predicting the training mean: the floor of usefulness
    coverage: float  # share of test readings inside the 90 % interval
    readings: int


def soft_sensor(data: TepData) -> SoftSensorScores:
    inputs, analyser = list(FAST_INPUTS), list(PRODUCT_ANALYSER)
    tr, te = data.train[0], data.test[0]
    rows, y = analyser_pairs(tr[:, inputs], tr[:, analyser], ANALYSER_DELAY)
    sensor = SoftSensor().fit(tr[:, inputs], rows, y)
    test_rows, y_test = analyser_pairs(te[:, inputs], te[:, analyser], ANALYSER_DELAY)
    point, low, high = sensor.predict(te[:, inputs])
    point, low, high = point[test_rows], low[test_rows], high[test_rows]
    x_mean, x_sd = tr[rows][:, inputs].mean(0), tr[rows][:, inputs].std(0)
    x_sd = np.where(x_sd > 0, x_sd, 1.0)
    pls = PLSRegression(n_components=8).fit((tr[rows][:, inputs] - x_mean) / x_sd, y)
    peer = np.asarray(pls.predict((te[test_rows][:, inputs] - x_mean) / x_sd))
    inside = (y_test >= low) & (y_test <= high)
    return SoftSensorScores(
        _rmse(point, y_test),
        _rmse(peer, y_test),
        _rmse(np.broadcast_to(y.mean(axis=0), y_test.shape), y_test),
        float(inside.mean()),
        len(test_rows),
    )


def _rmse(pred: np.ndarray, truth: np.ndarray) -> list[float]:
    return [float(v) for v in np.sqrt(np.mean((pred - truth) ** 2, axis=0))]
