"""Naming the known fault an alert looks like: a fault classifier (`jayul quality train
faults`) read on the process's latest rows when a unit's monitor raises an alert.

The classifier's labels are the fault numbers it was trained on; the plant file's
`process.known_faults` names them. When the classifier is not confident (its top probability
below `min_probability`) or its best guess is the normal process, the alert says that no known
fault matches, and the monitor's contributions remain the explanation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from jayul.health.process.diagnosis import FaultClassifier
from jayul.health.process.tabular import QualityModel
from jayul.plant.model import Plant

MIN_PROBABILITY = 0.5
SignalRef = tuple[str, str]


@dataclass
class FaultNamer:
    """A fitted fault classifier, the plant signals its columns are, and the faults' names."""

    model: FaultClassifier
    inputs: list[SignalRef]
    names: Mapping[int, str] = field(default_factory=dict)
    min_probability: float = MIN_PROBABILITY
    source: str | None = None  # the registered version it came from, as name@version

    @property
    def rows_needed(self) -> int:
        """Rows the classifier's trailing window reads for the newest row's features."""
        return self.model.window

    def name(self, label: int) -> str:
        return self.names.get(label, f"fault {label}")

    def say(self, rows: NDArray[np.float64]) -> str:
        """The finding for the newest of `rows` (time order, the `inputs` as columns)."""
        proba = self.model.predict_proba(rows)[-1]
        best = int(np.argmax(proba))
        label, p = int(self.model.classes_[best]), float(proba[best])
        if label == 0:
            return f"no known fault matches (normal most likely, p={p:.2f})"
        if p < self.min_probability:
            return f"no known fault matches (closest {self.name(label)}, p={p:.2f})"
        return f"looks like {self.name(label)}, p={p:.2f}"


def resolve_inputs(plant: Plant, columns: Sequence[str], where: str) -> list[SignalRef]:
    """The plant signal behind each column: `machine.signal`, or a signal id only one
    machine has; ValueError naming `where` and the columns that are neither."""
    owners: dict[str, list[str]] = {}
    for mid in plant.machine_ids:
        for sig in plant.machine_type(mid).signals:
            owners.setdefault(sig.id, []).append(mid)
    refs: list[SignalRef] = []
    unknown = []
    for col in columns:
        machine, dot, signal = col.partition(".")
        if dot and signal in _signal_ids(plant, machine):
            refs.append((machine, signal))
        elif len(owners.get(col, [])) == 1:
            refs.append((owners[col][0], col))
        else:
            unknown.append(col)
    if unknown:
        raise ValueError(
            f"{where}: column(s) {', '.join(unknown[:5])} are not signals of plant "
            f"{plant.name!r} (name them machine.signal or by a signal id one machine has)"
        )
    return refs


def _signal_ids(plant: Plant, machine: str) -> set[str]:
    if machine not in plant.machine_ids:
        return set()
    return {s.id for s in plant.machine_type(machine).signals}


def namer_from(model: QualityModel, plant: Plant, where: str) -> FaultNamer:
    """A `FaultNamer` from a `jayul quality train faults` model file's contents."""
    if not isinstance(model.model, FaultClassifier):
        raise ValueError(f"{where}: a {model.kind} model, not a fault classifier (faults)")
    names = plant.process.known_faults if plant.process is not None else {}
    return FaultNamer(model.model, resolve_inputs(plant, model.inputs, where), names)
