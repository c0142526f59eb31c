"""Count the process monitor's alerts on the process twin, as `jayul demo --plant` sets it up,
with the units' levels from in-sample scores (before) and from held-out scores (the product),
and the soft sensor's drift alerted at any coverage (before) or below `ALERT_COVERAGE` (the
product) (docs/benchmarks/process.md, "False alerts on a normal run").

Runs examples/plants/tep.yaml's process twin for HOURS at SEED, walking the setpoints to the
targets `jayul demo --plant` found on seed 0 (docs/benchmarks/process.md: reactor pressure
2,830 kPa, level 60 %, temperature 123.65 degC, separator level 65 %, A+C feed 54.57 mol%;
the stripper level held, as the verifier held it) one largest step per setpoint per hour,
without the verifier's forks; with IDV and AT_H, that disturbance switched on at AT_H. The
process monitor (commissioned over 8 h, as in the demo) then reads the recorded samples both
ways; each alert is printed with its hour, and the soft sensor's drift crossings its
prediction intervals absorbed (no alert), per quantity.

    .venv/bin/python scripts/process_alert_check.py SEED HOURS [IDV AT_H]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from jayul.autopilot.monitor import HealthMonitor
from jayul.autopilot.process_monitor import ProcessMonitor
from jayul.health.process import analyser_drift
from jayul.plant import load_plant
from jayul.records import Samples
from jayul.records.timebase import NS_PER_H
from jayul.twin.process import ProcessTwin

TEP = Path(__file__).resolve().parents[1] / "examples" / "plants" / "tep.yaml"
FIT_H = 8.0  # the demo's commissioning (cli/process_demo.py PROCESS_FIT_H)
TARGETS = {
    ("reactor", "reactor_pressure"): 2830.0,
    ("reactor", "reactor_level"): 60.0,
    ("reactor", "reactor_temperature"): 123.65,
    ("separator", "separator_level"): 65.0,
    ("feed", "yac"): 54.57,
}


def record(seed: int, hours: float, idv: int, at_h: float) -> list[Samples]:
    plant = load_plant(TEP)
    twin = ProcessTwin(plant, seed=seed)
    step = {(m, sp.id): sp.envelope.max_step or 0.0 for m in plant.machine_ids
            for sp in plant.machine_type(m).setpoints if sp.envelope is not None}  # fmt: skip
    batches = []
    for hour in range(int(hours)):
        for (machine, setpoint), target in TARGETS.items():
            now = twin.setpoints(machine)[setpoint]
            limit = step[(machine, setpoint)]
            twin.set_setpoint(machine, setpoint, now + float(np.clip(target - now, -limit, limit)))
        if idv and hour >= at_h:
            twin.set_disturbance(idv)
        twin.step(1.0)
        batches.append(twin.drain_samples())
        if twin.tripped:
            print(f"the process tripped at hour {hour + 1}")
            break
    return batches


def alerts(batches: list[Samples], product: bool) -> tuple[list[str], list[int]]:
    """The alerts, and the soft sensor's drift crossings the intervals absorbed per quantity."""
    plant = load_plant(TEP)
    analyser_drift.ALERT_COVERAGE = 0.8 if product else 1.01  # 1.01: every crossing alerts
    units = HealthMonitor(plant, fit_h=FIT_H, held_out_folds=None if product else 0)
    monitor = ProcessMonitor(units)
    start = int(batches[0].time.min())
    said = []
    for batch in batches:
        for a in monitor.update(batch):
            said.append(f"{(a.time - start) / NS_PER_H:6.2f} h {a.machine}: {a.reason()[:90]}")
    return said, monitor.watch.absorbed if monitor.watch is not None else []


def main() -> None:
    seed, hours = int(sys.argv[1]), float(sys.argv[2])
    idv, at_h = (int(sys.argv[3]), float(sys.argv[4])) if len(sys.argv) > 4 else (0, 0.0)
    batches = record(seed, hours, idv, at_h)
    for name, product in (("before (in-sample levels, every crossing)", False),
                          ("product (held-out levels, coverage below 0.8)", True)):  # fmt: skip
        said, absorbed = alerts(batches, product)
        print(f"{name}: {len(said)} alert(s); absorbed drift crossings per quantity {absorbed}")
        for line in said:
            print("  " + line)


if __name__ == "__main__":
    main()
