"""Random but plausible planning problems, for tests and the re-plan benchmark."""

from __future__ import annotations

import math
import random

from jayul.decide.problem import (
    FailureRisk,
    MachineState,
    MaintenanceOption,
    OpenOperation,
    PlanningProblem,
)


def weibull_risk(
    now_h: float, age_h: float, shape: float, scale_h: float, until_h: float
) -> FailureRisk:
    """The RUL CDF of a Weibull life at age `age_h`, conditional on survival, sampled hourly."""

    def survival(t: float) -> float:
        return math.exp(-((t / scale_h) ** shape))

    s0 = survival(age_h)
    steps = max(2, math.ceil(until_h - now_h) + 1)
    times = [now_h + (until_h - now_h) * i / (steps - 1) for i in range(steps)]
    return FailureRisk.from_cdf(lambda t: 1.0 - survival(age_h + t - now_h) / s0, times)


def random_problem(
    n_machines: int = 20,
    n_operations: int = 200,
    ops_per_order: int = 5,
    horizon_h: float = 48.0,
    seed: int = 0,
    now_h: float = 0.0,
) -> PlanningProblem:
    """`n_operations` open operations in orders of `ops_per_order`, each eligible on 1-3 of
    `n_machines` machines, due dates spread over the horizon; every machine ages on a Weibull
    life with two maintenance options (a crew of 2 mechanics, 1 electrician)."""
    rng = random.Random(seed)
    ids = [f"M{i:02d}" for i in range(n_machines)]
    ops = []
    n_orders = math.ceil(n_operations / ops_per_order)
    load_h = 0.0
    for o in range(n_orders):
        for k in range(min(ops_per_order, n_operations - o * ops_per_order)):
            base = rng.uniform(0.5, 3.0)
            chosen = rng.sample(ids, rng.randint(1, 3))
            eligible = {m: round(base * rng.uniform(0.9, 1.3), 2) for m in chosen}
            load_h += min(eligible.values())
            ops.append(
                OpenOperation(
                    order_id=f"O{o:03d}",
                    index=k,
                    eligible=eligible,
                    release_h=now_h,
                    due_h=None,
                    tardiness_cost_per_h=rng.choice([20.0, 50.0, 100.0]),
                    priority=rng.choice([1.0, 1.0, 2.0]),
                )
            )
    # Due dates: somewhere between a fair share of the load and the horizon.
    share = load_h / n_machines
    due = {
        f"O{o:03d}": now_h + rng.uniform(0.5, 1.5) * share + rng.uniform(0, horizon_h / 4)
        for o in range(n_orders)
    }
    ops = [
        OpenOperation(
            op.order_id,
            op.index,
            op.eligible,
            op.release_h,
            due[op.order_id],
            op.tardiness_cost_per_h,
            op.priority,
        )
        for op in ops
    ]
    machines = []
    for m in ids:
        scale = rng.uniform(200.0, 800.0)
        machines.append(
            MachineState(
                id=m,
                available_from_h=now_h + rng.choice([0.0, 0.0, 0.0, rng.uniform(0.5, 4.0)]),
                downtime_cost_per_h=rng.uniform(50.0, 200.0),
                maintenance=(
                    MaintenanceOption("inspect_lubricate", 1.0, "mechanic", 150.0, restores=0.5),
                    MaintenanceOption("replace_wear_parts", 3.0, "mechanic", 900.0),
                ),
                failure=weibull_risk(
                    now_h, rng.uniform(0.2, 1.2) * scale, 2.5, scale, now_h + horizon_h
                ),
                corrective_repair_h=rng.uniform(6.0, 24.0),
                corrective_cost=rng.uniform(2000.0, 8000.0),
            )
        )
    return PlanningProblem(
        now_h, horizon_h, tuple(ops), tuple(machines), {"mechanic": 2, "electrician": 1}
    )
