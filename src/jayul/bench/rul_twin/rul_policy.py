"""Policies compared on a trajectory-driven twin, including a minimal RUL-reading one.

`RulThreshold` exists to show the RUL monitor in the loop end to end (RUL distribution ->
maintenance decision -> plant), not as jayul's maintenance policy: it maintains a failure
mode when the live probability that it fails within `horizon_h` reaches `p`. Its `p` is
chosen on a tuning seed, never on the comparison seed; the condition-based policy runs with
the demo plant's shipped tuned threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from jayul.autopilot import Autopilot
from jayul.autopilot.monitor import HealthMonitor
from jayul.autopilot.rul_monitor import RulMonitor
from jayul.decide.named import make_policy
from jayul.decide.policy import Observation, Policy, cheapest_action_for
from jayul.health.rul.fleet import FleetRulModels
from jayul.plant.model import Plant
from jayul.records import Action, ActionKind, RiskClass
from jayul.twin import Twin

P_GRID = (0.1, 0.25, 0.5)


class RulThreshold:
    """Maintain a mode when P(it fails within `horizon_h`) >= `p` (one action per machine)."""

    name = "rul"

    def __init__(self, p: float, horizon_h: float = 48.0) -> None:
        self.p = p
        self.horizon_h = horizon_h

    def decide(self, plant: Plant, obs: Observation) -> list[Action]:
        actions = []
        for m in obs.machines.values():
            if m.status == "down" or m.pending_maintenance or not m.rul:
                continue
            risk = {mode: r.prob_fail_before(self.horizon_h) for mode, r in m.rul.items()}
            mode = max(risk, key=lambda k: risk[k])
            if risk[mode] < self.p:
                continue
            action = cheapest_action_for(plant, m.id, mode)
            actions.append(
                Action(
                    time=obs.now_ns,
                    machine=m.id,
                    kind=ActionKind.START_MAINTENANCE,
                    params={"action": action.id},
                    origin=self.name,
                    expected_effect=(
                        f"{mode}: P(failure within {self.horizon_h:.0f} h) = {risk[mode]:.2f} "
                        f">= {self.p:.2f}"
                    ),
                    risk=RiskClass.MEDIUM,
                )
            )
        return actions


def run_one(
    plant: Plant,
    twin: Twin,
    policy: Policy,
    days: float,
    models: FleetRulModels | None = None,
    health: bool = False,
) -> dict[str, float]:
    """KPIs of one run (with the RUL monitor when `models`, the health monitor with `health`)."""
    rul = RulMonitor(plant, models) if models is not None else None
    pilot = Autopilot(
        twin, policy, monitor=HealthMonitor(plant) if health else None, rul_monitor=rul
    )
    kpis = pilot.run(days * 24)
    return {
        "total_cost": kpis.total_cost,
        "failures": float(kpis.failures),
        "maintenances": float(kpis.maintenances),
        "alerts": float(pilot.counters.alerts),
        "maintenance_cost": kpis.maintenance_cost,
        "failure_cost": kpis.failure_cost,
    }


def compare(
    plant: Plant,
    make_twin: Callable[[int], Twin],
    models: FleetRulModels,
    seed: int,
    tune_seed: int,
    days: float,
    tune_days: float,
    grid: Sequence[float] = P_GRID,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Reactive, condition-based and `RulThreshold` (p tuned on `tune_seed`) on `seed`."""
    tuning = []
    for p in grid:
        tuning.append(run_one(plant, make_twin(tune_seed), RulThreshold(p), tune_days, models))
        if progress:
            progress(f"tune rul p={p:g}")
    best = float(grid[int(np.argmin([t["total_cost"] for t in tuning]))])
    out: dict[str, Any] = {
        "rul_tuning": {f"{p:g}": t["total_cost"] for p, t in zip(grid, tuning, strict=True)},
        "rul_p": best,
    }
    runs: dict[str, tuple[Policy, FleetRulModels | None, bool]] = {
        "reactive": (make_policy("reactive", plant), None, False),
        "condition": (make_policy("condition", plant), None, True),
        "rul": (RulThreshold(best), models, False),
    }
    for name, (policy, rul_models, health) in runs.items():
        twin = make_twin(seed)
        out[name] = run_one(plant, twin, policy, days, rul_models, health)
        out[name]["failures_by_mode"] = dict(twin.ledger.failures_by_mode)
        if progress:
            progress(f"policy {name}")
    return out
