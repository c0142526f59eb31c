"""`jayul bench steel` as a function: stratified 10-fold CV (seed 0), ours against the peer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import f1_score, log_loss
from sklearn.model_selection import StratifiedKFold

from jayul.bench.steel.data import load_steel
from jayul.health.process.defects import DefectClassifier

FOLDS = 10


def run_steel(
    path: Path, step: Callable[[int], None] = lambda _: None, peer_trees: int = 500
) -> dict[str, Any]:
    data = load_steel(path)
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    figures: dict[str, dict[str, list[float]]] = {
        "ours": {"accuracy": [], "macro_f1": [], "log_loss": []},
        "peer_random_forest_500": {"accuracy": [], "macro_f1": [], "log_loss": []},
    }
    for i, (train, test) in enumerate(folds.split(data.X, data.y)):
        ours = DefectClassifier().fit(data.X[train], data.y[train], data.features)
        peer = RandomForestClassifier(n_estimators=peer_trees, random_state=0, n_jobs=-1)
        peer.fit(data.X[train], data.y[train])
        for name, proba, classes in (
            ("ours", ours.predict_proba(data.X[test]), ours.classes_),
            ("peer_random_forest_500", peer.predict_proba(data.X[test]), peer.classes_),
        ):
            predicted = classes[proba.argmax(axis=1)]
            f = figures[name]
            f["accuracy"].append(float(np.mean(predicted == data.y[test])))
            f["macro_f1"].append(float(f1_score(data.y[test], predicted, average="macro")))
            f["log_loss"].append(float(log_loss(data.y[test], proba, labels=classes)))
        step(i + 1)
    return {
        name: {k: {"mean": float(np.mean(v)), "sd": float(np.std(v))} for k, v in f.items()}
        for name, f in figures.items()
    } | {"folds": FOLDS, "rows": len(data.y)}
