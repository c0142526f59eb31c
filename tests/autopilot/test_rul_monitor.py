"""Live RUL in the autopilot: trained on reactive twin histories, watched on an unseen seed.

The plant is the demo plant's pump line alone with wear four times faster (lives of a few
hundred hours), so training and a run with dozens of failures fit in a test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jayul.autopilot import Autopilot
from jayul.autopilot.rul_monitor import RulMonitor, load_or_train
from jayul.decide.baselines import Reactive
from jayul.decide.policy import Observation
from jayul.health.rul.fleet import FleetRulModels, FleetRulSettings
from jayul.plant.load import load_demo_plant
from jayul.plant.model import Plant

SETTINGS = FleetRulSettings(
    seeds=(11, 12),
    days=90,
    signal_period_s=1800,
    cap=150,
    windows=(6, 24, 72, 144),
    baseline_rows=24,
    min_history=24,
    row_stride=4,
    n_estimators=80,
)


def fast_pump_plant() -> Plant:
    data = load_demo_plant().model_dump()
    pump = data["machine_types"]["pump"]
    for mode in pump["failure_modes"]:
        mode["wear_per_h"] *= 4  # same predictability per life: the shape scales with it
        mode["shape_per_h"] *= 4
    data["machine_types"] = {"pump": pump}
    data["name"] = "fast-pumps"
    data["lines"] = ["line1"]
    data["machines"] = [{"id": f"pump{i}", "type": "pump", "line": "line1"} for i in range(4)]
    data["orders"]["arrivals_per_h"] = 1.9
    data["orders"]["products"] = [{"id": "part", "routing": ["wash"], "work": 1.0, "share": 1}]
    return Plant.model_validate(data)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plant, FleetRulModels, Path]:
    plant = fast_pump_plant()
    cache = tmp_path_factory.mktemp("rulcache")
    calls: list[tuple[float, float, str]] = []
    models, path, cached = load_or_train(
        plant, SETTINGS, cache_dir=cache, progress=lambda d, t, m: calls.append((d, t, m))
    )
    assert not cached and path is not None and path.is_file()
    assert calls and calls[-1][0] == calls[-1][1]  # the progress reaches its total
    assert set(models.models_) == {("pump", "bearing_wear"), ("pump", "impeller_wear")}
    return plant, models, cache


def test_cache_returns_the_trained_models(trained: tuple[Plant, FleetRulModels, Path]) -> None:
    plant, models, cache = trained
    again, _, cached = load_or_train(plant, SETTINGS, cache_dir=cache)
    assert cached
    assert again.summary_ == models.summary_


def test_live_rul_shrinks_towards_failure_and_its_interval_holds_it(
    trained: tuple[Plant, FleetRulModels, Path],
) -> None:
    plant, models, _ = trained
    from jayul.twin import Twin

    twin = Twin(plant, seed=99, signal_period_s=1800)  # a seed the models never saw
    monitor = RulMonitor(plant, models, predict_every_h=1)
    seen: dict[tuple[str, str], dict[int, tuple[float, float, float]]] = {}

    class Watch(Reactive):
        def decide(self, plant: Plant, obs: Observation) -> list:  # type: ignore[type-arg]
            for mid, view in obs.machines.items():
                for mode, rul in (view.rul or {}).items():
                    seen.setdefault((mid, mode), {})[round(obs.now_h)] = (
                        rul.p10,
                        rul.p50,
                        rul.p90,
                    )
            return []

    pilot = Autopilot(twin, Watch(), rul_monitor=monitor)
    failures: list[tuple[str, str, int]] = []
    down: set[str] = set()
    for _ in range(110 * 24):
        pilot.tick()
        for mid, m in twin.machines.items():  # the twin fails machines at ticks
            if m.failed_mode is not None and mid not in down:
                failures.append((mid, m.failed_mode, round(twin.now_h)))
        down = {k for k, x in twin.machines.items() if x.failed_mode is not None}
    ledger_failures = twin.ledger.failures
    assert ledger_failures >= 20
    covered, shrank = [], []
    horizon = 50  # hours before the failure (lives here are a few hundred hours)
    for machine, mode, t_fail in failures:
        views = seen.get((machine, mode), {})
        early, late = views.get(t_fail - horizon), views.get(t_fail - 5)
        if early is None or late is None or t_fail - horizon < 48:
            continue
        covered.append(early[0] <= horizon <= early[2])
        shrank.append(late[1] < early[1])
    assert len(covered) >= 15
    coverage = float(np.mean(covered))
    # a nominal 80 % interval: over ~20-40 failures anything in this band is consistent
    assert 0.6 <= coverage <= 0.95, coverage
    assert np.mean(shrank) >= 0.8


def test_monitor_shifts_between_predictions_and_restarts_with_the_life() -> None:
    from jayul.records import Event, EventKind, Samples
    from jayul.records.timebase import NS_PER_H

    plant = load_demo_plant()
    rng = np.random.default_rng(0)
    units = []
    for _ in range(8):
        life = int(rng.integers(150, 250))
        wear = np.linspace(0, 1, life) ** 2
        units.append(np.outer(wear, np.ones(6)) + rng.normal(0, 0.05, (life, 6)))
    settings = FleetRulSettings(cap=100, windows=(5, 20), baseline_rows=10, n_estimators=20)
    models = FleetRulModels(settings).fit({("pump", "bearing_wear"): units})
    monitor = RulMonitor(plant, models, predict_every_h=4)
    start = monitor.tracker.hourly.start_ns
    signals = [s.id for s in plant.machine_types["pump"].signals]

    def hour(h: int, events: list[Event] | None = None) -> None:
        batch = Samples.build(
            np.full(6, start + h * NS_PER_H + NS_PER_H // 2), "pump1", signals, np.full(6, 0.1)
        )
        monitor.update(batch, events or [], start + (h + 1) * NS_PER_H)

    for h in range(9):
        hour(h)
    view = monitor.view("pump1")
    assert view is not None and set(view) == {"bearing_wear"}  # no model for the impeller
    made, before = monitor.predictions_made, view["bearing_wear"]
    hour(9)  # not due: the last prediction, one hour on
    after = monitor.distribution("pump1", "bearing_wear")
    assert monitor.predictions_made == made and after is not None
    assert after.hours == tuple(max(x - 1.0, 0.0) for x in before.hours)
    assert after.age_h == before.age_h + 1
    failure = Event(
        time=start + 10 * NS_PER_H, machine="pump1", kind=EventKind.FAILURE,
        payload={"mode": "bearing_wear"},
    )  # fmt: skip
    hour(10, [failure])
    assert monitor.view("pump1") is None  # failed: unknown until repaired
    repaired = Event(
        time=start + 11 * NS_PER_H, machine="pump1", kind=EventKind.REPAIR_END,
        payload={"mode": "bearing_wear"},
    )  # fmt: skip
    hour(11, [repaired])
    fresh = monitor.distribution("pump1", "bearing_wear")
    assert fresh is not None and fresh.age_h == 1  # predicted at once on the new life
