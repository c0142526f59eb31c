"""Speed of the twin and of the main job, measured against the issue's budgets.

- the twin alone: one year of the plant, every signal at 1-minute resolution;
- the main job: `jayul demo` for N days (twin, historian, monitor, policy).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jayul.autopilot import Autopilot, HealthMonitor
from jayul.decide.named import make_policy
from jayul.historian.open import open_historian
from jayul.plant.model import Plant
from jayul.twin import Twin


def time_twin(
    plant: Plant, days: float, seed: int = 0, progress: Callable[[float], None] | None = None
) -> dict[str, Any]:
    """Run the twin alone with signals on; samples are produced and dropped each day."""
    twin = Twin(plant, seed=seed)
    samples = 0
    started = time.perf_counter()
    done = 0.0
    while done < days:
        step = min(1.0, days - done)
        twin.run_until(twin.now_h + 24 * step)
        samples += len(twin.drain_samples())
        twin.drain_events()
        done += step
        if progress:
            progress(step)
    wall = time.perf_counter() - started
    return {"days": days, "samples": samples, "wall_s": wall, "samples_per_s": samples / wall}


def time_demo(
    plant: Plant, days: float, db: Path, policy: str = "condition", seed: int = 0
) -> dict[str, Any]:
    """The main job's loop, as `jayul demo --no-ui` runs it, into a DuckDB file."""
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    with open_historian(str(db)) as hist:
        pilot = Autopilot(
            Twin(plant, seed=seed),
            make_policy(policy, plant),
            historian=hist,
            monitor=HealthMonitor(plant),
        )
        pilot.run(days * 24)
    wall = time.perf_counter() - started
    return {"days": days, "policy": policy, "wall_s": wall, "samples": pilot.counters.samples}
