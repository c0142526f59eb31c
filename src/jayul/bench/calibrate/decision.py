"""The decision test of `jayul bench calibrate`: is the calibrated twin good enough to verify
decisions on? The truth plant runs under the predictive policy through the gate at L3 (an
action runs when the verifier accepts it) twice on the same seed:

- verified on the truth twin (a fork of the plant itself: the best a twin can be);
- verified on the calibrated twin standing where the live RUL monitor says each failure mode
  is (its health read on the calibrated process, `calibrate.live_state`; run hours where no
  RUL is known), as `jayul run --twin` verifies (`jayul.calibrate.plant_twin.PlantTwin`,
  futures on draws from the calibration's parameter uncertainty).

Reported per arm: the year's total cost, failures, and failures prevented against the reactive
policy on the same seed; and the calibrated arm's cost relative to the truth arm's and its
failures prevented minus the truth arm's, in points.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jayul.autopilot import Autopilot, TwinPlant
from jayul.autopilot.rul_monitor import load_or_train
from jayul.autopilot.setup import gate_for, pilot_for
from jayul.bench.runner import run_tasks
from jayul.calibrate.plant_twin import PlantTwin
from jayul.decide.baselines import Reactive
from jayul.decide.policy import LiveCondition
from jayul.gate import AutonomyLevel
from jayul.plant.model import Plant
from jayul.twin import Twin
from jayul.verify import Verifier

SIGNAL_PERIOD_S = 600.0
FUTURES = 8


class VerifiedOnCalibrated(TwinPlant):
    """The truth twin as the plant; what the verifier forks is the calibrated twin, standing
    at the live RUL and the plant's run hours (no health index is read from the truth)."""

    def __init__(self, twin: Twin, calibrated: PlantTwin) -> None:
        super().__init__(twin)
        self.calibrated = calibrated

    def fork(self, condition: LiveCondition | None = None) -> Twin:
        readings = self.machines()
        return self.calibrated.at({m: r.run_hours_since for m, r in readings.items()}, condition)


@dataclass(frozen=True)
class Arm:
    total_cost: float
    failures: int
    maintenances: int
    actions_executed: int
    cpu_s: float

    def as_dict(self, reactive_failures: int) -> dict[str, Any]:
        prevented = 1.0 - self.failures / reactive_failures if reactive_failures else 0.0
        return {
            "total_cost": round(self.total_cost, 1),
            "failures": self.failures,
            "maintenances": self.maintenances,
            "actions_executed": self.actions_executed,
            "failures_prevented": round(prevented, 4),
            "cpu_s": round(self.cpu_s, 1),
        }


def _arm(truth: Plant, seed: int, days: float, calibrated: PlantTwin | None) -> Arm:
    t0 = time.process_time()
    models = load_or_train(truth)[0]  # from the cache the caller filled: no training here
    twin = Twin(truth, seed=seed, signal_period_s=SIGNAL_PERIOD_S)
    port = TwinPlant(twin) if calibrated is None else VerifiedOnCalibrated(twin, calibrated)
    verifier = Verifier(FUTURES)
    if calibrated is not None:
        verifier = Verifier(FUTURES, plant_draws=calibrated.draws(FUTURES, seed))
    with tempfile.TemporaryDirectory() as tmp:
        gate = gate_for(truth, port, str(Path(tmp) / "gate.duckdb"), AutonomyLevel.L3, by="bench")
        pilot = pilot_for(
            truth, port, "predictive", rul_models=models, gate=gate, verifier=verifier
        )
        kpis = pilot.run(days * 24)
        gate.con.close()
    return Arm(
        kpis.total_cost,
        kpis.failures,
        kpis.maintenances,
        pilot.counters.actions_executed,
        time.process_time() - t0,
    )


def decision_test(
    truth: Plant,
    calibrated: Plant,
    parameters: Mapping[str, Any],
    days: float,
    seed: int,
    progress: Callable[[str], None] | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """The two arms and the reactive baseline on one seed (module docstring); with `jobs` 2
    the two arms run at once, each in its own process (`bench.runner.run_tasks`)."""
    step = progress or (lambda _m: None)
    twin_of_plant = PlantTwin(
        Path("calibrated"), calibrated, "", {"parameters": dict(parameters)}, None
    )
    load_or_train(truth)  # trained (and cached) once here, before the arms read it
    reactive = Autopilot(Twin(truth, seed=seed, signals=False), Reactive()).run(days * 24)
    step("reactive baseline")
    twins: list[PlantTwin | None] = [None, twin_of_plant]
    on_truth, on_calibrated = run_tasks(
        lambda twin: _arm(truth, seed, days, twin),
        twins,
        jobs,
        lambda i, _arm: step(("verified on the truth twin", "verified on the calibrated twin")[i]),
        pool="joblib",  # fresh processes: the RUL models' OpenMP does not survive a fork
    )
    t, c = on_truth.as_dict(reactive.failures), on_calibrated.as_dict(reactive.failures)
    return {
        "days": days,
        "seed": seed,
        "policy": "predictive",
        "autonomy": "L3",
        "reactive_failures": reactive.failures,
        "verified_on_truth": t,
        "verified_on_calibrated": c,
        "cost_rel_diff": round(c["total_cost"] / t["total_cost"] - 1.0, 4)
        if t["total_cost"]
        else None,
        "prevented_diff_points": round(
            100 * (c["failures_prevented"] - t["failures_prevented"]), 2
        ),
    }
