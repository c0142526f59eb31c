"""A short closed-loop run of the process twin: a fault classifier trained on the twin's own
runs (normal, IDV 1, IDV 6) names the known fault in the alert the A feed's loss raises, in the
plant file's words, with its probability; and the soft sensor the plant file declares watches
the product analyser on the same run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jayul.autopilot.fault_naming import FaultNamer
from jayul.autopilot.loop import Autopilot
from jayul.autopilot.monitor import HealthMonitor
from jayul.autopilot.process_monitor import DRIFT_DETECTOR, ProcessMonitor
from jayul.autopilot.process_plant import ProcessPlant
from jayul.decide.process_setpoints import SetpointWalk
from jayul.health.process.diagnosis import FaultClassifier
from jayul.plant import Plant, load_plant

pytest.importorskip("tep_studio", reason="the process twin needs the process extra")
from jayul.twin.process import ProcessTwin

TEP = Path(__file__).resolve().parents[2] / "examples" / "plants" / "tep.yaml"


def rows_of(twin: ProcessTwin, hours: float, monitor: ProcessMonitor) -> np.ndarray:
    twin.step(hours)
    return monitor._rows(twin.drain_samples())[1]


def trained_namer(plant: Plant) -> FaultNamer:
    """Normal, IDV 1 and IDV 6 runs of the twin (seeds 0 and 1), as `jayul quality train
    faults` would learn them from a historian export with the plant's signal names."""
    signals = [(m, s.id) for m in plant.machine_ids for s in plant.machine_type(m).signals]
    namer = FaultNamer(
        FaultClassifier(window=5, n_estimators=60), signals, plant.process.known_faults
    )  # type: ignore[union-attr]
    runs = {}
    for seed, idv, normal_h in ((0, 6, 3.0), (1, 1, 1.0)):
        reader = ProcessMonitor(HealthMonitor(plant), namer)  # its row builder, nothing else
        twin = ProcessTwin(plant, seed=seed)
        normal = rows_of(twin, normal_h, reader)
        twin.set_disturbance(idv)
        runs[idv] = rows_of(twin, 1.5, reader)
        runs[0] = np.vstack([runs[0], normal]) if 0 in runs else normal
    namer.model.fit(runs)
    return namer


def test_the_alert_names_the_injected_fault() -> None:
    plant = load_plant(TEP)
    namer = trained_namer(plant)
    twin = ProcessTwin(plant, seed=2)  # another seed than the training runs
    port = ProcessPlant(twin)
    monitor = ProcessMonitor(HealthMonitor(plant, fit_h=2.5), namer)
    pilot = Autopilot(port, SetpointWalk({}), monitor=monitor, tick_h=0.25)
    while port.now_h < 3.0:
        pilot.tick()
    assert monitor.raised == [] or all("IDV(6)" not in a.reason() for a in monitor.raised)
    twin.set_disturbance(6)  # the A feed is lost
    while port.now_h < 4.0 and not any(a.machine == "feed" for a in monitor.raised):
        pilot.tick()
    feed = next(a for a in monitor.raised if a.machine == "feed")
    assert "feed_A_flow -" in feed.reason()  # the variables that drove it, as before
    # the injected fault named, confident or not (the threshold is tested on its own)
    assert "IDV(6) A feed loss, p=" in feed.reason(), feed.reason()
    assert monitor.machines["feed"].last_alert == feed  # the console's diagnosis says it too
    assert not [a for a in monitor.raised if a.detector == DRIFT_DETECTOR]
