"""`jayul bench warm-start`: the history it stores (idle nights as state events), and one timed
start of `jayul run` warmed over a day of it and one cold."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from jayul.bench.warm_start.harness import run
from jayul.bench.warm_start.history import write_history
from jayul.historian.open import open_historian
from jayul.plant import load_plant
from jayul.records import EventKind
from jayul.records.timebase import NS_PER_H

SENSORS = Path(__file__).resolve().parents[3] / "examples" / "plants" / "sensors-only.yaml"


def test_the_history_has_idle_nights_as_state_events(tmp_path: Path) -> None:
    plant = load_plant(SENSORS)
    store = open_historian(f"duckdb:///{tmp_path / 'h.duckdb'}")
    end = 1000 * 24 * NS_PER_H + 12 * NS_PER_H  # noon, day 1000
    stored = write_history(store, plant, end, days=2)
    assert stored == store.count_samples() > 0
    events = store.query_events(kinds=[EventKind.OPERATION_START, EventKind.OPERATION_END])
    assert {e.machine for e in events} == {"p1", "p2", "p3"}
    night = store.query_samples("p1", end - 16 * NS_PER_H, end - 13 * NS_PER_H)  # 20:00-23:00
    force = night[night["signal"] == "force"]
    late = force["time"].to_numpy(np.int64) >= end - 14 * NS_PER_H  # 22:00 on: idle
    assert force["value"][late].mean() < 0.3 * force["value"][~late].mean()
    store.close()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("mosquitto") is None, reason="needs mosquitto")
def test_a_warmed_and_a_cold_start_are_timed(tmp_path: Path) -> None:
    figures = run(SENSORS, 1, tmp_path)
    warm, cold = figures["warm"], figures["cold"]
    assert warm["warm_up_s"] is not None and "ran over" in warm["warm_up_line"]
    assert cold["warm_up_s"] is None
    assert warm["to_first_tick_s"] > warm["to_loop_start_s"] > 0
    assert figures["machines"] == 3 and figures["samples_stored"] > 0
