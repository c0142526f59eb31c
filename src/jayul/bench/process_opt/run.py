"""The process-optimisation benchmark: operating cost over a run from the base case, jayul's
gated setpoint walk against a plain optimiser with the same simulation budget.

- base: the process on the plant file's setpoints (a fork at the start: the same noise);
- ours: `run_process`: compass search on forks, then every change verified and gated at L3;
- peer: scipy's Nelder-Mead over the same free setpoints (scaled to their envelopes, bounded
  by them) with the same number of candidate runs on forks, its best applied at once at the
  start without the verifier or the gate.

Each reports its energy (compressor electricity, stripper steam) and carbon per m3 of product
at the plant file's emission factors.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from jayul.autopilot.process_run import ENERGY, run_process
from jayul.decide.process_setpoints import CostOnFork, free_setpoints
from jayul.plant.model import Plant
from jayul.twin.process import ProcessTwin

Progress = Callable[[str, float, float], None]


def _peer(plant: Plant, hours: float, seed: int, budget: int) -> dict[str, object]:
    twin = ProcessTwin(plant, seed=seed, record=False)
    keys = free_setpoints(plant)
    low = np.array([plant.setpoint(*k).envelope.low for k in keys])
    high = np.array([plant.setpoint(*k).envelope.high for k in keys])
    start = twin.all_setpoints()
    x0 = np.array([(start[k] - lo) / (hi - lo) for k, lo, hi in zip(keys, low, high, strict=True)])
    objective = CostOnFork(twin)

    def cost(x: np.ndarray) -> float:
        values = low + np.clip(x, 0.0, 1.0) * (high - low)
        c = objective(dict(zip(keys, values.tolist(), strict=True)))
        return c if np.isfinite(c) else 1e6

    minimize(cost, x0, method="Nelder-Mead", bounds=[(0.0, 1.0)] * len(keys),
             options={"maxfev": budget})  # fmt: skip
    best = min(objective.evaluations, key=lambda e: e.cost_per_h)
    for (m, sp), v in best.setpoints.items():
        twin.set_setpoint(m, sp, v)
    twin.step(hours)
    per = twin.ledger.per_hour()
    return {
        "cost_per_h": per["cost_per_h"],
        "product_m3_per_h": per["product_m3_per_h"],
        "off_spec_share": per["off_spec_share"],
        **{k: per[k] for k in ENERGY},
        "shutdown": twin.ledger.shutdown,
        "search_runs": len(objective.evaluations),
        "search_cost_per_h": best.cost_per_h,
        "targets": {f"{m}.{sp}": v for (m, sp), v in best.setpoints.items()},
    }


def run_process_opt(
    plant: Plant, hours: float, seed: int, budget: int, progress: Progress | None = None
) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        ours = run_process(plant, hours, str(Path(tmp) / "gate.duckdb"), seed=seed,
                           budget=budget, progress=progress).figures()  # fmt: skip
    peer = _peer(plant, hours, seed, budget)
    base = float(ours["base_cost_per_h"])  # type: ignore[arg-type]
    return {
        "hours": hours,
        "seed": seed,
        "budget": budget,
        "ours": ours,
        "peer_nelder_mead": peer,
        "cost_change_ours": float(ours["cost_per_h"]) / base - 1.0,  # type: ignore[arg-type]
        "cost_change_peer": float(peer["cost_per_h"]) / base - 1.0,  # type: ignore[arg-type]
    }
