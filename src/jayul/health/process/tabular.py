"""The process and quality models on a user's own tables: train, hold out, score.

Three kinds, one shape: a table (rows in time order for the process models) with named
columns in, a `QualityModel` out that remembers its input columns and scores a new table with
the same columns.

- `defects`: one row per inspected part, feature columns and a label column (the defect
  class); the `DefectClassifier`, held out on a stratified fifth.
- `faults`: process samples in time order with a label column (0 = normal, else the fault's
  number); each label's rows form one run. The `FaultClassifier`, held out on each run's last
  fifth (the model never sees those rows' future).
- `soft-sensor`: process samples in time order with the analyser's columns as targets (a
  reading holds until the next); the `SoftSensor` on causal pairs (`analyser_pairs` with the
  analyser's `delay` in rows), held out on the last fifth of the readings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from jayul.health.process.defects import DefectClassifier
from jayul.health.process.diagnosis import FaultClassifier
from jayul.health.process.soft_sensor import SoftSensor, analyser_pairs

Kind = Literal["defects", "faults", "soft-sensor"]
KINDS: tuple[Kind, ...] = ("defects", "faults", "soft-sensor")
HOLDOUT = 0.2


@dataclass
class QualityModel:
    """A fitted model with the columns it reads and its held-out figures."""

    kind: Kind
    inputs: list[str]
    targets: list[str]
    model: DefectClassifier | FaultClassifier | SoftSensor
    metrics: dict[str, float] = field(default_factory=dict)
    delay: int = 0

    def score(self, table: pd.DataFrame, where: str = "the table") -> pd.DataFrame:
        """One output row per input row (see `jayul quality score` in docs/cli.md)."""
        X = numeric(table, self.inputs, where)
        if isinstance(self.model, DefectClassifier):
            proba = self.model.predict_proba(X)
            reasons = self.model.explain(X)
            return pd.DataFrame({
                "defect": [r.label for r in reasons],
                "probability": proba.max(axis=1),
                "why": [r.sentence() for r in reasons],
            })  # fmt: skip
        if isinstance(self.model, FaultClassifier):
            proba = self.model.predict_proba(X)
            return pd.DataFrame(
                {"fault": self.model.classes_[proba.argmax(axis=1)], "probability": proba.max(1)}
            )
        point, low, high = self.model.predict(X)
        out = {}
        for j, name in enumerate(self.targets):
            out[name] = point[:, j]
            out[f"{name}_low"] = low[:, j]
            out[f"{name}_high"] = high[:, j]
        return pd.DataFrame(out)


def numeric(table: pd.DataFrame, columns: Sequence[str], where: str) -> np.ndarray:
    """The columns as a float array; a clear error naming what is missing or not a number."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{where}: missing column(s) {', '.join(missing)}")
    part = table[list(columns)].apply(pd.to_numeric, errors="coerce")
    bad = part.isna().any(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        col = next(c for c in columns if pd.isna(part[c].iloc[row]))
        raise ValueError(f"{where}: row {row + 1}, column {col!r} is not a number")
    values: np.ndarray = part.to_numpy(dtype=np.float64)
    return values


def train_quality(
    kind: Kind, table: pd.DataFrame, targets: Sequence[str], delay: int = 0,
    where: str = "the table", seed: int = 0,
) -> QualityModel:  # fmt: skip
    """Fit `kind` on `table` (`targets`: the label column, or the analyser's columns)."""
    missing = [t for t in targets if t not in table.columns]
    if not targets or missing:
        raise ValueError(f"{where}: target column(s) not found: {', '.join(missing) or '(none)'}")
    inputs = [c for c in table.columns if c not in targets]
    X = numeric(table, inputs, where)
    if kind == "defects":
        return _defects(table, inputs, targets[0], X, seed)
    if kind == "faults":
        return _faults(table, inputs, targets[0], X, seed, where)
    return _soft_sensor(table, inputs, list(targets), X, delay, where)


def _defects(table: pd.DataFrame, inputs: list[str], label: str, X: np.ndarray,
             seed: int) -> QualityModel:  # fmt: skip
    from sklearn.model_selection import train_test_split

    y = table[label].astype(str).to_numpy()
    fit_rows, held = train_test_split(
        np.arange(len(y)), test_size=HOLDOUT, random_state=seed, stratify=y
    )
    held_model = DefectClassifier(seed=seed).fit(X[fit_rows], y[fit_rows], inputs)
    accuracy = float((held_model.predict(X[held]) == y[held]).mean())
    model = DefectClassifier(seed=seed).fit(X, y, inputs)
    return QualityModel("defects", inputs, [label], model, {"holdout_accuracy": accuracy})


def _faults(table: pd.DataFrame, inputs: list[str], label: str, X: np.ndarray, seed: int,
            where: str) -> QualityModel:  # fmt: skip
    labels = numeric(table, [label], where)[:, 0].astype(np.int64)
    runs = {int(k): X[labels == k] for k in np.unique(labels)}
    if 0 not in runs:
        raise ValueError(f"{where}: no normal rows ({label} = 0) to standardise with")
    cut = {k: int(len(x) * (1 - HOLDOUT)) for k, x in runs.items()}
    held_model = FaultClassifier(seed=seed).fit({k: x[: cut[k]] for k, x in runs.items()})
    # each run scored whole (its trailing windows need the rows before), judged on its tail
    right = total = 0
    for k, x in runs.items():
        predicted = held_model.predict(x)[cut[k] :]
        right += int((predicted == k).sum())
        total += len(predicted)
    model = FaultClassifier(seed=seed).fit(runs)
    return QualityModel("faults", inputs, [label], model, {"holdout_accuracy": right / total})


def _soft_sensor(table: pd.DataFrame, inputs: list[str], targets: list[str], X: np.ndarray,
                 delay: int, where: str) -> QualityModel:  # fmt: skip
    readings = numeric(table, targets, where)
    rows, y = analyser_pairs(X, readings, delay)
    cut = int(len(rows) * (1 - HOLDOUT))
    held_model = SoftSensor().fit(X, rows[:cut], y[:cut])
    point, low, high = held_model.predict(X)
    p, lo, hi, truth = point[rows[cut:]], low[rows[cut:]], high[rows[cut:]], y[cut:]
    metrics = {
        "holdout_rmse": float(np.sqrt(np.mean((p - truth) ** 2))),
        "holdout_interval_coverage": float(np.mean((truth >= lo) & (truth <= hi))),
    }
    model = SoftSensor().fit(X, rows, y)
    return QualityModel("soft-sensor", inputs, targets, model, metrics, delay)
