"""The twin/main-job timing harness, small (timings are benchmarks, not tests)."""

from __future__ import annotations

from pathlib import Path

from jayul.bench.twin.harness import time_alert_latency, time_demo, time_twin
from jayul.plant import load_demo_plant


def test_time_twin_and_demo_small(tmp_path: Path) -> None:
    plant = load_demo_plant()
    twin = time_twin(plant, 0.5)
    signals = sum(len(plant.machine_types[m.type].signals) for m in plant.machines)
    assert twin["samples"] == signals * 12 * 60
    demo = time_demo(plant, 0.5, tmp_path / "x.duckdb", policy="reactive")
    assert demo["samples"] == twin["samples"] and demo["wall_s"] > 0


def test_alert_latency_harness_small() -> None:
    figures = time_alert_latency(load_demo_plant(), hours=0.2)
    assert figures["ticks"] == 12
    assert figures["latency_s"]["max"] >= figures["latency_s"]["median"] > 0
