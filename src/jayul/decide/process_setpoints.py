"""Setpoints for a continuous process: search the envelope on the process twin, then walk there.

`search_setpoints` looks for the setpoints that lower the operating cost, on forks of the
process twin only (the plant never sees a candidate): a compass (pattern) search from the
setpoints in force, each candidate run for `horizon_h` and judged by the cost of its last
`judge_h` hours; a candidate that trips the process or takes the product out of the plant
file's limits is worse than any other. Every candidate stays inside each setpoint's envelope.
The product's own targets (`production_rate`, `pct_g`) are held: they are what the plant sells.

`SetpointWalk` is the policy that carries the result out: each step it proposes, per
setpoint not yet at its target, one change of at most the envelope's largest step toward it.
The autopilot verifies each on a fork and the gate admits it (or asks a person) before the
process moves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from jayul.decide.policy import Observation
from jayul.plant.model import Plant
from jayul.records import Action, ActionKind
from jayul.twin.process import ProcessTwin

HELD = ("production_rate", "pct_g")  # the product's rate and grade: not traded for cost
Key = tuple[str, str]  # (machine, setpoint)


def free_setpoints(plant: Plant) -> list[Key]:
    """The setpoints the optimiser may move, in plant-file order."""
    return [
        (m, sp.id)
        for m in plant.machine_ids
        for sp in plant.machine_type(m).setpoints
        if sp.id not in HELD
    ]


def clip_to_envelope(plant: Plant, key: Key, value: float) -> float:
    env = plant.setpoint(*key).envelope
    return float(min(max(value, env.low), env.high))


@dataclass
class Evaluation:
    """One candidate run on a fork: its cost per hour, or inf when it tripped or left spec."""

    setpoints: dict[Key, float]
    cost_per_h: float
    note: str = ""


@dataclass
class CostOnFork:
    """The objective: run a fork of `twin` with the candidate's setpoints for `horizon_h` and
    take the cost per hour of its last `judge_h` hours."""

    twin: ProcessTwin
    horizon_h: float = 10.0
    judge_h: float = 4.0
    evaluations: list[Evaluation] = field(default_factory=list)

    def __call__(self, setpoints: Mapping[Key, float]) -> float:
        fork = self.twin.fork()
        for (m, sp), v in setpoints.items():
            fork.set_setpoint(m, sp, clip_to_envelope(fork.plant, (m, sp), v))
        fork.step(self.horizon_h - self.judge_h)
        cost0, h0, off0 = fork.ledger.cost, fork.ledger.hours, fork.ledger.off_spec_h
        fork.step(self.judge_h)
        led = fork.ledger
        hours = max(led.hours - h0, 1e-12)
        if fork.tripped:
            value, note = float("inf"), f"tripped: {led.shutdown}"
        elif (led.off_spec_h - off0) / hours > 0.02:
            value, note = float("inf"), "product off spec"
        else:
            value, note = (led.cost - cost0) / hours, ""
        self.evaluations.append(Evaluation(dict(setpoints), value, note))
        return value


def search_setpoints(
    objective: CostOnFork, budget: int = 24, progress: Callable[[int, float], None] | None = None
) -> Evaluation:
    """Compass search over the free setpoints within `budget` runs of the objective; the best
    candidate found (the setpoints in force when nothing beats them)."""
    plant = objective.twin.plant
    keys = free_setpoints(plant)
    best = {k: v for k, v in objective.twin.all_setpoints().items() if k in keys}
    best_cost = objective(best)
    # first moves: a quarter of each envelope's width, halved whenever no move helps
    steps = {k: 0.25 * (plant.setpoint(*k).envelope.high - plant.setpoint(*k).envelope.low)
             for k in keys}  # fmt: skip
    runs = 1
    while runs < budget and max(s / _width(plant, k) for k, s in steps.items()) > 0.02:
        improved = False
        for k in keys:
            for sign in (1.0, -1.0):
                if runs >= budget:
                    break
                value = clip_to_envelope(plant, k, best[k] + sign * steps[k])
                if value == best[k]:
                    continue
                candidate = {**best, k: value}
                cost = objective(candidate)
                runs += 1
                if progress is not None:
                    progress(runs, min(cost, best_cost))
                if cost < best_cost:
                    best, best_cost, improved = candidate, cost, True
                    break
        if not improved:
            steps = {k: s / 2 for k, s in steps.items()}
    return Evaluation(best, best_cost)


def _width(plant: Plant, key: Key) -> float:
    env = plant.setpoint(*key).envelope
    return env.high - env.low


class SetpointWalk:
    """Proposes, each step, one change per setpoint toward its target, no larger than the
    envelope's largest step (see the module doc)."""

    name = "setpoint-optimiser"

    def __init__(self, targets: Mapping[Key, float]) -> None:
        self.targets = {k: round(v, 6) for k, v in targets.items()}

    def decide(self, plant: Plant, obs: Observation) -> list[Action]:
        actions = []
        for (m, sp), target in self.targets.items():
            now = obs.machines[m].setpoints.get(sp)
            if now is None or abs(target - now) < 1e-9:
                continue
            spec = plant.setpoint(m, sp)
            step = spec.envelope.max_step or abs(target - now)
            value = now + float(np.clip(target - now, -step, step))
            actions.append(
                Action(
                    time=obs.now_ns,
                    machine=m,
                    kind=ActionKind.CHANGE_SETPOINT,
                    params={"setpoint": sp, "value": round(value, 6), "unit": spec.unit},
                    origin=self.name,
                )
            )
        return actions
