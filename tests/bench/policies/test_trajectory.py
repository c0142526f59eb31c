"""Trajectory-driven twin: a failure mode replays recorded run-to-failure histories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jayul.bench.policies.trajectory import (
    TrajectoryTwin,
    cmapss_setup,
    load_engines,
    split_engines,
    trajectory_plant,
)
from jayul.plant.load import load_demo_plant
from jayul.plant.model import Plant
from jayul.records.timebase import NS_PER_H
from jayul.twin.state import Status

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "cmapss"
SENSORS = ("s2", "s3", "s4")
CYCLE_H = 5.0


def library(n: int = 6) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    out = []
    for k in range(n):
        cycles = 20 + 4 * k
        wear = np.linspace(0, 1, cycles)
        out.append(np.column_stack([100 + 10 * wear, 50 - 5 * wear, np.full(cycles, float(k))]))
        out[-1][:, :2] += rng.normal(0, 0.1, (cycles, 2))
    return out


def pump_plant() -> Plant:
    data = load_demo_plant().model_dump()
    pump = data["machine_types"]["pump"]
    for mode in pump["failure_modes"]:
        if mode["id"] == "impeller_wear":
            mode["wear_per_h"] = 1e-6  # never fails within the test: only the replay does
    data["machine_types"] = {"pump": pump}
    data["lines"] = ["line1"]
    data["machines"] = [{"id": f"pump{i}", "type": "pump", "line": "line1"} for i in range(2)]
    data["orders"]["arrivals_per_h"] = 0.8
    data["orders"]["products"] = [{"id": "part", "routing": ["wash"], "work": 1.0, "share": 1}]
    return Plant.model_validate(data)


def make_twin(engines: list[np.ndarray], seed: int = 0) -> TrajectoryTwin:
    plant = trajectory_plant(
        pump_plant(), "pump", "bearing_wear", dict(enumerate(engines)), SENSORS
    )
    return TrajectoryTwin(
        plant,
        engines,
        "pump",
        "bearing_wear",
        sensors=SENSORS,
        cycle_h=CYCLE_H,
        seed=seed,
        signal_period_s=1800,
    )


def test_plant_gains_the_recorded_sensors_and_the_mode_points_at_them() -> None:
    engines = library()
    plant = trajectory_plant(
        pump_plant(), "pump", "bearing_wear", dict(enumerate(engines)), SENSORS
    )
    pump = plant.machine_types["pump"]
    assert [s.id for s in pump.signals][-3:] == list(SENSORS)
    bearing = next(f for f in pump.failure_modes if f.id == "bearing_wear")
    assert bearing.effects == {"s2": 1.0, "s3": -1.0, "s4": 0.0}  # drift directions
    with pytest.raises(ValueError, match="no failure mode"):
        trajectory_plant(pump_plant(), "pump", "nope", dict(enumerate(engines)), SENSORS)


def test_machine_fails_when_its_replayed_history_ends_and_signals_replay_it() -> None:
    engines = library()
    twin = make_twin(engines)
    first = {mid: twin.replayed_engine(mid) for mid in twin.machines}
    twin.run_until(24 * 30)
    samples = twin.drain_samples()
    events = twin.drain_events()
    for mid in twin.machines:
        fails = [e for e in events if e.machine == mid and e.kind.value == "failure"]
        assert fails and fails[0].payload["mode"] == "bearing_wear"
        life_h = len(engines[first[mid]]) * CYCLE_H
        t_fail = (fails[0].time - twin.start_ns) / NS_PER_H
        # nothing stops the machine before its first failure: it fails at the first tick
        # at or after the end of the replayed history
        assert life_h <= t_fail < life_h + 1.0
        # before it, each s2 sample reads the row of the cycle it falls in
        sel = (samples.machine == mid) & (samples.signal == "s2")
        t_h = (samples.time[sel] - twin.start_ns) / NS_PER_H
        early = t_h < life_h - 1e-9
        cycle = (t_h[early] / CYCLE_H).astype(int)
        assert np.allclose(samples.value[sel][early], engines[first[mid]][cycle, 0])
        # s4 is the engine's index: after the repair the machine replays another history
        repaired = [e for e in events if e.machine == mid and e.kind.value == "repair_end"]
        assert repaired
        t_back = (repaired[0].time - twin.start_ns) / NS_PER_H
        s4 = (samples.machine == mid) & (samples.signal == "s4")
        after = samples.value[s4][(samples.time[s4] - twin.start_ns) / NS_PER_H > t_back + 1]
        assert after.size and np.all(after[:3] != first[mid])


def test_the_replay_clock_stands_while_the_machine_is_repaired() -> None:
    twin = make_twin(library())
    mid = "pump0"
    m = twin.machines[mid]
    while m.status is not Status.DOWN:
        twin.step(1.0)
    assert m.health["bearing_wear"] == 1.0
    progress = twin._replays[mid].progress_h
    twin.step(5.0)
    assert m.status is Status.DOWN and twin._replays[mid].progress_h == progress


def test_fork_repeats_its_parent_and_shares_the_library() -> None:
    twin = make_twin(library(), seed=4)
    twin.run_until(100)
    fork = twin.fork(signals=True)
    assert fork.library is twin.library
    twin.drain_samples()
    twin.run_until(400)
    fork.run_until(400)
    a, b = twin.drain_samples(), fork.drain_samples()
    late = a.time >= twin.start_ns + 101 * NS_PER_H
    late_b = b.time >= twin.start_ns + 101 * NS_PER_H
    assert np.array_equal(a.value[late], b.value[late_b])
    assert twin.ledger.failures == fork.ledger.failures


@pytest.mark.skipif(not (DATA / "train_FD001.txt").is_file(), reason="C-MAPSS data absent")
def test_cmapss_engines_split_disjointly_and_fit_a_demo_machine_type() -> None:
    engines = load_engines(DATA)
    assert len(engines) == 100
    train, replay = split_engines(engines, 0.5, seed=0)
    assert len(train) == len(replay) == 50 and not set(train) & set(replay)
    setup = cmapss_setup(load_demo_plant(), DATA, "pump", "bearing_wear")
    assert setup.train_engines.keys() == train.keys()  # the same seeded split
    assert len(setup.plant.machine_types["pump"].signals) == 16
    twin = setup.make_twin(0, signal_period_s=3600)
    twin.run_until(48)
    s = twin.drain_samples()
    s2 = s.value[(s.machine == "pump1") & (s.signal == "s2")]
    assert 640 < s2.mean() < 645  # raw FD001 s2 (total temperature at LPC outlet, degR)
    assert twin.replayed_engine("pump1") < len(setup.replay_engines)
