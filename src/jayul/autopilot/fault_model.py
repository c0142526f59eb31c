"""The known-fault classifier as a registered model: registered with its card (training data,
classes, accuracy on held-out runs), its scorecard and its serialised model, deployed only
through the deployment gate, and loaded by the loop from the registry by name and version.

`jayul quality train faults` registers it (`register_fault_model`); `jayul models promote`
deploys it through the gate, which also holds it to the held-out accuracy its card declares;
`--fault-model NAME[@VERSION]` loads the deployed version (`namer_from_registry`), and every
alert it names says which version named it.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import joblib
import numpy as np
from numpy.typing import NDArray

from jayul.autopilot.fault_naming import FaultNamer, namer_from
from jayul.govern.assess import assess
from jayul.govern.card import MetricLimit, ModelCard
from jayul.govern.registry import ModelRecord, Registry
from jayul.health.process.diagnosis import FaultClassifier
from jayul.health.process.tabular import QualityModel
from jayul.plant.model import Plant
from jayul.records.autonomy import AutonomyLevel

DEFAULT_NAME = "quality-faults"
MIN_ACCURACY = 0.8  # the held-out accuracy a fault classifier must reach to deploy, by default


def fault_score(model: FaultClassifier) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """Rows -> how unlike the normal process the classifier finds them (1 - P(normal)): what
    the robustness probes read."""
    normal = int(np.flatnonzero(model.classes_ == 0)[0]) if 0 in model.classes_ else None

    def score(X: NDArray[np.float64]) -> NDArray[np.float64]:
        proba = model.predict_proba(np.nan_to_num(np.asarray(X, dtype=np.float64)))
        if normal is None:  # no normal class: every row is some fault
            return np.ones(len(proba))
        result: NDArray[np.float64] = 1.0 - proba[:, normal]
        return result

    return score


def fault_model_card(
    model: QualityModel, labels: NDArray[np.int64], where: str, min_accuracy: float
) -> ModelCard:
    """The card of a fault classifier trained on the labelled rows of `where`."""
    counts = ", ".join(f"{int(k)}: {int(n)}" for k, n in zip(*np.unique(labels, return_counts=True),
                                                             strict=True))  # fmt: skip
    return ModelCard(
        intended_use="name the known fault an alert of the process monitor looks like, with "
        "its probability, or say that none matches",
        out_of_scope="detection and control: the units' monitors raise the alerts; its names "
        "inform people, never a setpoint",
        data=f"{len(labels)} labelled rows of {where} ({len(model.inputs)} inputs), rows per "
        f"class {{{counts}}}; classes (0 = normal): "
        f"{', '.join(str(int(c)) for c in np.unique(labels))}",
        metrics=model.metrics,
        limits=[
            "holdout_accuracy: each labelled run's last fifth, predicted by a model fitted on "
            "the first four fifths (the rows' future never seen)",
            "a fault it was not trained on gets a low top probability, or the nearest known "
            "fault's name",
        ],
        acceptance=[MetricLimit(metric="holdout_accuracy", low=min_accuracy)],
    )


def register_fault_model(
    registry: Registry,
    model: QualityModel,
    X: NDArray[np.float64],
    labels: NDArray[np.int64],
    *,
    where: str,
    by: str,
    now: int,
    name: str = DEFAULT_NAME,
    min_accuracy: float = MIN_ACCURACY,
) -> ModelRecord:
    """Register the classifier (trained on the rows `X` with `labels`) with its card, its
    serialised model and its scorecard; not deployed (`Registry.promote` does that)."""
    if not isinstance(model.model, FaultClassifier):
        raise ValueError(f"{where}: a {model.kind} model, not a fault classifier")
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    card = fault_model_card(model, labels, where, min_accuracy)
    rec = registry.register(name, model.model, X, model.metrics, by, now, card,
                            artifact=buffer.getvalue())  # fmt: skip
    scorecard, _ = assess(name, rec.version, fault_score(model.model), X, (), AutonomyLevel.L1)
    registry.set_scorecard(scorecard, by, now)
    return registry.get(name, rec.version)


def parse_model_ref(ref: str) -> tuple[str, int | None]:
    """`NAME` or `NAME@VERSION` -> (name, version or None); ValueError naming `ref`."""
    name, at, version = ref.partition("@")
    if not name or (at and not version.isdigit()):
        raise ValueError(f"{ref!r}: name a registered model as NAME or NAME@VERSION")
    return name, int(version) if at else None


def namer_from_registry(registry: Registry, plant: Plant, ref: str) -> FaultNamer:
    """The deployed fault classifier `ref` (NAME: its deployed version; NAME@VERSION: that
    version, which must be the deployed one) as a `FaultNamer` of `plant`; ValueError saying
    what is missing or not deployed."""
    name, version = parse_model_ref(ref)
    if version is None:
        rec = registry.champion(name)
        if rec is None:
            known = registry.models()
            what = "is not registered" if all(m.name != name for m in known) else (
                "has no deployed version: deploy one through the gate (jayul models promote)"
            )  # fmt: skip
            raise ValueError(f"fault model {name} {what}")
    else:
        try:
            rec = registry.get(name, version)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        if rec.status != "deployed":
            raise ValueError(
                f"fault model {name} version {version} is {rec.status}, not deployed: deploy "
                "it through the gate (jayul models promote)"
            )
    where = f"{rec.name}@{rec.version}"
    try:
        loaded = joblib.load(io.BytesIO(registry.artifact(rec.name, rec.version)))
    except KeyError as exc:
        raise ValueError(str(exc.args[0])) from None
    if not isinstance(loaded, QualityModel):
        raise ValueError(f"{where}: not a model from jayul quality train")
    namer = namer_from(loaded, plant, where)
    namer.source = where
    return namer
