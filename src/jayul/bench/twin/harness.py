"""Speed of the twin and of the main job, measured against the issue's budgets.

- the twin alone: one year of the plant, every signal at 1-minute resolution;
- the main job: `jayul demo` for N days (twin, historian, monitor, policy).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

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


def time_alert_latency(plant: Plant, hours: float = 6.0, seed: int = 0) -> dict[str, Any]:
    """The monitor's latency with the loop ticking once per sampling period (1 minute): each
    tick's rows are scored and any alert raised before the next sample is due, if the work of
    a tick stays under the period. Measured after the monitor's commissioning period."""
    monitor = HealthMonitor(plant)
    twin = Twin(plant, seed=seed)
    period_s = min(s.period_s for mt in plant.machine_types.values() for s in mt.signals)
    twin.run_until(monitor.fit_h + 1.0)
    monitor.update(twin.drain_samples())  # commissioning: fit every machine's detector
    twin.drain_events()
    walls = []
    ticks = int(hours * 3600 / period_s)
    for _ in range(ticks):
        twin.step(period_s / 3600.0)
        batch = twin.drain_samples()
        started = time.perf_counter()
        monitor.update(batch)
        walls.append(time.perf_counter() - started)
    arr = np.array(walls)
    return {
        "period_s": period_s,
        "ticks": ticks,
        "latency_s": {
            "median": float(np.median(arr)),
            "p99": float(np.quantile(arr, 0.99)),
            "max": float(arr.max()),
        },
        "under_one_period": bool(arr.max() < period_s),
    }


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
