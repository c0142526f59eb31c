"""Measure the soft sensor's drift watch on the process twin (docs/benchmarks/process.md).

Runs examples/plants/tep.yaml's process twin in closed loop on its base case for HOURS at
SEED, records the rows the process monitor forms, then replays them through the drift watch
(`jayul.health.process.analyser_drift.SoftSensorWatch`, the settings `ProcessMonitor` uses):
once as recorded (every finding on a normal run is a false alarm), and once per OFFSET with
the product analyser's G reading off by that much from the first reading after FROM_H hours
(how many readings the watch took to raise its one finding, and what it said). Each line also
gives the crossings the prediction intervals absorbed (no finding), per quantity.

    .venv/bin/python scripts/soft_sensor_drift_check.py SEED HOURS FROM_H OFFSET...
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from jayul.autopilot.monitor import HealthMonitor
from jayul.autopilot.process_monitor import ProcessMonitor
from jayul.health.process.analyser_drift import SoftSensorWatch
from jayul.plant import load_plant
from jayul.twin.process import ProcessTwin

TEP = Path(__file__).resolve().parents[1] / "examples" / "plants" / "tep.yaml"
FIT_H = 2.5  # the units' commissioning; the soft sensor fits after it and 40 readings
G = 3  # the analysed quantity the offset is added to (stripper_underflow_G_concentration)


def replay(t: np.ndarray, rows: np.ndarray, k: int, q: int, delay: int
           ) -> tuple[list[tuple[int, str]], list[int]]:  # fmt: skip
    """The findings (row, what it said) and each quantity's crossings the intervals absorbed."""
    watch = SoftSensorWatch(k, q, delay, fit_rows=int(FIT_H * 20), min_readings=40)
    found = []
    for i in range(len(t)):
        for f in watch.update(int(t[i]), rows[i, :k], rows[i, k : k + q]):
            found.append((i, f"quantity {f.quantity}: mean residual {f.mean_residual:+.3g} "
                             f"over {f.n} readings, coverage {f.coverage:.2f}"))  # fmt: skip
    return found, watch.absorbed


def main(seed: int, hours: float, from_h: float, offsets: list[float]) -> None:
    plant = load_plant(TEP)
    monitor = ProcessMonitor(HealthMonitor(plant, fit_h=FIT_H))
    assert monitor.watch is not None
    twin = ProcessTwin(plant, seed=seed)
    times, chunks = [], []
    while twin.now_h < hours - 1e-9:
        twin.step(1.0)
        t, r = monitor._rows(twin.drain_samples())
        times.append(t)
        chunks.append(r)
    t, rows = np.concatenate(times), np.vstack(chunks)
    k, q, delay = len(monitor.soft_inputs), len(monitor.analysed), monitor.watch.delay
    found, absorbed = replay(t, rows, k, q, delay)
    print(f"seed {seed}, {hours:g} h normal: {found or 'no finding'}; "
          f"absorbed crossings per quantity {absorbed}")  # fmt: skip
    g = rows[:, k + G]
    new = np.flatnonzero(np.diff(g) != 0) + 1
    start = int(new[new >= from_h * 20][0])
    for offset in offsets:
        shifted = rows.copy()
        shifted[start:, k + G] += offset
        found, absorbed = replay(t, shifted, k, q, delay)
        said = [(round((i - start) / 5) + 1, text) for i, text in found]  # readings after
        print(f"seed {seed}, G {offset:+g} mol% from {start / 20:g} h: (reading, finding) {said}; "
              f"absorbed {absorbed}")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), [float(x) for x in sys.argv[4:]])
