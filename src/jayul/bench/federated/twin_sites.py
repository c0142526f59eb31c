"""Sites of a twin fleet: the demo plant at ten sites whose machines wear at different rates.

Each site is the same plant file with every failure mode's `wear_per_h` multiplied by the
site's wear factor (a site that runs its pumps harder, or pumps dirtier water), run by the
twin under the reactive policy (machines run to failure and are repaired). From one run a
site keeps, for one machine type:

- every machine's hourly rows (`jayul.health.rul.fleet.LifeTracker`, as live monitoring cuts
  them) with, per row, the twin's true wear level (the largest `effect_level` over the type's
  failure modes at the hour's end: 0 while no mode shows in the signals) and whether the
  machine was available (not down, in maintenance or waiting for a crew);
- the run-to-failure histories of one failure mode (the RUL model's training data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from jayul.health.rul.fleet import LifeTracker
from jayul.plant.model import Plant
from jayul.twin import Twin
from jayul.twin.degradation import effect_level
from jayul.twin.state import Status

FloatArray = npt.NDArray[np.float64]
UNAVAILABLE = (Status.DOWN, Status.MAINTENANCE, Status.WAIT_CREW)


@dataclass(frozen=True)
class SiteRun:
    """One twin run of a site, for one machine type (see the module docstring)."""

    rows: dict[str, FloatArray]  # machine -> hourly rows (hours x signals)
    wear: dict[str, FloatArray]  # machine -> true wear level at each row
    available: dict[str, npt.NDArray[np.bool_]]  # machine -> available at each row
    histories: list[FloatArray]  # run-to-failure histories of the chosen failure mode


def with_wear_factor(plant: Plant, factor: float) -> Plant:
    """The plant with every failure mode's mean wear per hour multiplied by `factor`."""
    data = plant.model_dump()
    for machine_type in data["machine_types"].values():
        for mode in machine_type["failure_modes"]:
            if mode.get("wear_per_h") is not None:
                mode["wear_per_h"] *= factor
    return Plant.model_validate(data)


def simulate_site(
    plant: Plant,
    seed: int,
    days: float,
    machine_type: str,
    mode: str,
    signal_period_s: float = 1200.0,
) -> SiteRun:
    """Run the twin hour by hour for `days` and keep what the module docstring lists."""
    if machine_type not in plant.machine_types:
        raise ValueError(f"plant {plant.name!r} has no machine type {machine_type!r}")
    modes = plant.machine_types[machine_type].failure_modes
    if mode not in {m.id for m in modes}:
        raise ValueError(f"machine type {machine_type!r} has no failure mode {mode!r}")
    machines = [m.id for m in plant.machines if m.type == machine_type]
    twin = Twin(plant, seed=seed, signal_period_s=signal_period_s)
    tracker = LifeTracker(plant, keep_histories=True)
    wear: dict[str, list[float]] = {m: [] for m in machines}
    available: dict[str, list[bool]] = {m: [] for m in machines}
    for hour in range(round(days * 24)):
        twin.run_until(hour + 1.0)
        tracker.update(twin.drain_samples(), twin.drain_events(), twin.time_ns())
        for machine in machines:
            new = len(tracker.machines[machine].rows) - len(wear[machine])
            if new <= 0:
                continue
            state = twin.machines[machine]
            level = max(float(effect_level(f, np.array(state.health[f.id]))) for f in modes)
            wear[machine].extend([level] * new)
            available[machine].extend([state.status not in UNAVAILABLE] * new)
    return SiteRun(
        rows={m: np.array(tracker.machines[m].rows) for m in machines},
        wear={m: np.array(wear[m]) for m in machines},
        available={m: np.array(available[m], dtype=bool) for m in machines},
        histories=list(tracker.histories.get((machine_type, mode), [])),
    )
