"""`jayul run` warms its live health monitor from the stored history: a plant whose history was
imported is judged from the first live sample, and the history's alerts are not raised again."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from jayul.autopilot import HealthMonitor
from jayul.cli.run_warm import warm_from_history
from jayul.historian.open import open_historian
from jayul.plant import load_plant
from jayul.records import MachineState
from jayul.records.timebase import NS_PER_H

sys.path.insert(0, str(Path(__file__).parents[1] / "plant"))
from test_sensors_only import EXAMPLE, hour_of_rows


def test_a_monitor_warmed_on_stored_history_judges_the_first_live_batch(tmp_path: Path) -> None:
    plant = load_plant(EXAMPLE)
    store = open_historian(f"duckdb:///{tmp_path / 'h.duckdb'}")
    rng = np.random.default_rng(3)
    for hour in range(30):  # 30 h of healthy history, more than fit_h
        store.append_samples(hour_of_rows(hour, rng))
    now = 30 * NS_PER_H
    events_before = len(store.query_events())

    warmed = HealthMonitor(plant, fit_h=24.0)
    lines = warm_from_history(warmed, store, plant, now, days=2.0)
    assert all(mh.scorer is not None for mh in warmed.machines.values())
    assert "judging from the first live sample: p1, p2, p3" in "\n".join(lines)
    assert len(store.query_events()) == events_before  # nothing stored again

    cold = HealthMonitor(plant, fit_h=24.0)
    assert warm_from_history(cold, store, plant, now, days=0.0)[0].endswith("(--warm-days 0)")
    running = dict.fromkeys(plant.machine_ids, MachineState.RUNNING)
    live_w, live_c = [], []
    for hour in range(30, 36):  # p2's vibration rises as soon as the live run starts
        batch = hour_of_rows(hour, rng, vib_shift=2.0)
        live_w += warmed.update(batch, states=running)
        live_c += cold.update(batch, states=running)
    assert [a.machine for a in live_w] == ["p2"]
    assert live_c == []  # the cold monitor is still learning (and learns the fault as normal)
    store.close()


def test_too_little_history_says_which_machines_still_learn(tmp_path: Path) -> None:
    plant = load_plant(EXAMPLE)
    store = open_historian(f"duckdb:///{tmp_path / 'h.duckdb'}")
    rng = np.random.default_rng(4)
    for hour in range(5):
        store.append_samples(hour_of_rows(hour, rng))
    monitor = HealthMonitor(plant, fit_h=24.0)
    text = "\n".join(warm_from_history(monitor, store, plant, 5 * NS_PER_H, days=1.0))
    assert "still learning" in text and "p1, p2, p3" in text
    empty = HealthMonitor(plant, fit_h=24.0)
    far = 400 * NS_PER_H  # nothing stored in the last day before this
    assert "no stored samples" in warm_from_history(empty, store, plant, far, days=1.0)[0]
    store.close()
