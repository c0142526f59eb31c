"""The replay of stored history (the warm-up of `jayul run --warm-days`, the backfill after an
import) applies the machines' stored state events in time order, as the live loop applies each
tick's: a long idle period, its signals at idle levels, is neither judged nor learnt as normal,
and a machine back from maintenance is judged again."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from jayul.autopilot import HealthMonitor
from jayul.autopilot.backfill import replay, stored_states
from jayul.historian.base import Historian
from jayul.historian.open import open_historian
from jayul.plant import load_plant
from jayul.records import Event, EventKind, MachineState, Samples
from jayul.records.timebase import NS_PER_H

sys.path.insert(0, str(Path(__file__).parents[1] / "plant"))
from test_sensors_only import EXAMPLE, hour_of_rows

IDLE_FROM, IDLE_TO = 30, 50  # p2 stands idle for these hours (20 h)


def idle_hour(hour: int, rng: np.random.Generator) -> Samples:
    """An hour in which p2 stands: no force, oil cooling to the hall, little vibration; p1 and
    p3 run as usual."""
    running = hour_of_rows(hour, rng)
    value = running.value.copy()
    p2 = running.machine == "p2"
    idle = {"force": (5.0, 1.0), "oil_temp": (24.0, 0.3), "vib_rms": (0.2, 0.05)}
    for signal, (level, noise) in idle.items():
        at = p2 & (running.signal == signal)
        value[at] = level + noise * rng.normal(size=int(at.sum()))
    return Samples(running.time, running.machine, running.signal, value, running.quality)


def history(store: Historian, end_h: int, seed: int = 5) -> None:
    rng = np.random.default_rng(seed)
    for hour in range(end_h):
        idle = IDLE_FROM <= hour < IDLE_TO
        store.append_samples(idle_hour(hour, rng) if idle else hour_of_rows(hour, rng))


def test_a_stored_idle_period_raises_no_alert_in_the_replay(tmp_path: Path) -> None:
    plant = load_plant(EXAMPLE)
    store = open_historian(f"duckdb:///{tmp_path / 'h.duckdb'}")
    history(store, 60)
    end = 60 * NS_PER_H
    # Without the state events the idle hours read as a fault of p2: the case the events fix.
    blind = replay(HealthMonitor(plant, fit_h=24.0), store, plant, 0, end)
    assert "p2" in {a.machine for a in blind.alerts}

    store.append_events(
        [
            Event(time=IDLE_FROM * NS_PER_H, machine="p2", kind=EventKind.OPERATION_END),
            Event(time=IDLE_TO * NS_PER_H, machine="p2", kind=EventKind.OPERATION_START),
        ]
    )
    monitor = HealthMonitor(plant, fit_h=24.0)
    warmed = replay(monitor, store, plant, 0, end)
    assert warmed.alerts == []
    p2 = monitor.machines["p2"]
    assert p2.skipped_rows >= (IDLE_TO - IDLE_FROM) * 60  # the idle hours, and the settling
    assert p2.state is MachineState.RUNNING  # the state the live run starts from
    store.close()


def test_idle_hours_inside_commissioning_are_not_learnt_as_normal(tmp_path: Path) -> None:
    """p2 idles for 8 of its first hours: it is commissioned on `fit_h` hours of production,
    its running rows only, so after 30 stored hours it is still learning while p1 and p3 judge
    (taken as running, it would have learnt its idle levels as normal by hour 24)."""
    plant = load_plant(EXAMPLE)
    store = open_historian(f"duckdb:///{tmp_path / 'h.duckdb'}")
    rng = np.random.default_rng(8)
    for hour in range(30):
        store.append_samples(idle_hour(hour, rng) if 4 <= hour < 12 else hour_of_rows(hour, rng))
    store.append_events(
        [
            Event(time=4 * NS_PER_H, machine="p2", kind=EventKind.OPERATION_END),
            Event(time=12 * NS_PER_H, machine="p2", kind=EventKind.OPERATION_START),
        ]
    )
    monitor = HealthMonitor(plant, fit_h=24.0)
    assert replay(monitor, store, plant, 0, 30 * NS_PER_H).alerts == []
    fitted = {mid for mid, mh in monitor.machines.items() if mh.scorer is not None}
    assert fitted == {"p1", "p3"}
    store.close()


def test_without_production_events_a_machine_comes_back_from_maintenance_producing(
    tmp_path: Path,
) -> None:
    """A real plant's state tag stores failures, repairs and maintenance only: after the end
    of a maintenance nothing says the machine started again, so it is taken as producing (else
    it would never be judged again)."""
    plant = load_plant(EXAMPLE)
    store = open_historian(f"duckdb:///{tmp_path / 'h.duckdb'}")
    store.append_events(
        [
            Event(time=30 * NS_PER_H, machine="p2", kind=EventKind.MAINTENANCE_START),
            Event(time=50 * NS_PER_H, machine="p2", kind=EventKind.MAINTENANCE_END),
            Event(time=20 * NS_PER_H, machine="p1", kind=EventKind.OPERATION_END),
        ]
    )
    changes, resets = stored_states(store, plant, 0, 60 * NS_PER_H)
    states = [(c.machine, c.state) for c in changes]
    assert states == [
        ("p1", MachineState.IDLE),  # p1's history records production: idle means idle
        ("p2", MachineState.MAINTENANCE),
        ("p2", MachineState.RUNNING),
    ]
    assert [e.kind for e in resets] == [EventKind.MAINTENANCE_END]
    history(store, 60)
    monitor = HealthMonitor(plant, fit_h=24.0)
    assert replay(monitor, store, plant, 0, 60 * NS_PER_H).alerts == []
    assert monitor.machines["p2"].state is MachineState.RUNNING
    store.close()
