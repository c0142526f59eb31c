"""Speed of virtual commissioning: one plan verified with N sampled futures over a horizon."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from jayul.plant.model import Plant
from jayul.records import Action, ActionKind
from jayul.twin import Twin
from jayul.verify import Verifier


def time_verification(
    plant: Plant,
    futures: int = 8,
    horizon_h: float = 7 * 24,
    warmup_days: float = 40.0,
    repeats: int = 3,
    seed: int = 0,
) -> dict[str, Any]:
    """Verify a maintenance proposal on the most worn machine of a twin run `warmup_days`."""
    twin = Twin(plant, seed=seed, signals=False)
    twin.run_until(24 * warmup_days)
    machine, mode = max(
        ((m.id, k) for m in twin.machines.values() for k in m.health),
        key=lambda p: twin.machines[p[0]].health[p[1]],
    )
    action_id = next(a.id for a in plant.machine_type(machine).maintenance if mode in a.restores)
    action = Action(
        time=twin.time_ns(),
        machine=machine,
        kind=ActionKind.START_MAINTENANCE,
        params={"action": action_id},
        origin="bench",
    )
    verifier = Verifier(futures=futures, horizon_h=horizon_h)
    walls = []
    verdict = None
    for _ in range(repeats):
        started = time.perf_counter()
        verdict = verifier.verify(twin, [(0.0, action)])
        walls.append(time.perf_counter() - started)
    assert verdict is not None
    return {
        "futures": futures,
        "horizon_h": horizon_h,
        "machine": machine,
        "action": action_id,
        "verdict": verdict.summary(),
        "wall_s": {"median": float(np.median(walls)), "max": float(np.max(walls))},
    }
