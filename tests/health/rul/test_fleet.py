"""Fleet RUL pieces: hourly rows, run-to-failure cuts from events, fast last-row prediction."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.health.rul import BoostedWindowRul
from jayul.health.rul.fleet import (
    FleetRulModels,
    FleetRulSettings,
    HourlyRows,
    LifeTracker,
    predict_every_row,
)
from jayul.plant.load import load_demo_plant
from jayul.records import Event, EventKind, Quality, Samples
from jayul.records.timebase import NS_PER_H

PLANT = load_demo_plant()
START = HourlyRows(PLANT).start_ns


def at(hours: float) -> int:
    return START + round(hours * NS_PER_H)


def pump_batch(hours: list[float], vib: list[float], quality: int = 0) -> Samples:
    return Samples.build(
        [at(h) for h in hours], "pump1", "vib_rms", vib, np.full(len(hours), quality)
    )


def test_hourly_rows_average_each_hour_and_wait_for_its_end() -> None:
    rows = HourlyRows(PLANT)
    rows.add(pump_batch([0.0, 0.5, 1.0, 1.25], [1.0, 3.0, 10.0, 20.0]))
    assert rows.close_until(at(0.99)) == []  # hour 0 not over yet
    closed = rows.close_until(at(1.0))
    assert [h for h, _ in closed] == [0]
    pump = rows.machines.index("pump1")
    vib = rows.signals["pump1"].index("vib_rms")
    assert closed[0][1][pump, vib] == pytest.approx(2.0)
    rows.add(pump_batch([1.5], [5.0], quality=Quality.BAD))  # skipped
    rows.add(pump_batch([2.5], [7.0]))
    closed = rows.close_until(at(3.0))
    assert [h for h, _ in closed] == [1, 2]
    assert closed[0][1][pump, vib] == pytest.approx(15.0)
    assert closed[1][1][pump, vib] == pytest.approx(7.0)
    # another machine with no sample in an hour repeats its last value (0 before any)
    assert closed[1][1][rows.machines.index("pump2"), vib] == 0.0


def test_hourly_rows_stay_one_per_hour_when_an_hour_has_no_sample() -> None:
    rows = HourlyRows(PLANT)
    rows.add(pump_batch([1.5, 3.5], [4.0, 8.0]))  # every two hours, from hour 1
    closed = rows.close_until(at(5.0))
    vib = rows.signals["pump1"].index("vib_rms")
    pump = rows.machines.index("pump1")
    assert [h for h, _ in closed] == [1, 2, 3, 4]
    assert [m[pump, vib] for _, m in closed] == [4.0, 4.0, 8.0, 8.0]


def event(kind: EventKind, hours: float, **payload: str) -> Event:
    return Event(time=at(hours), machine="pump1", kind=kind, payload=payload)


def test_life_tracker_cuts_from_restoration_to_failure() -> None:
    tracker = LifeTracker(PLANT, keep_histories=True)
    for h in range(10):
        tracker.update(pump_batch([h + 0.5], [float(h)]), [], at(h + 1))
    vib = tracker.hourly.signals["pump1"].index("vib_rms")
    assert tracker.age_h("pump1", "bearing_wear") == 10
    # failure at hour 6: bearing history = rows of hours 0..5
    tracker.update(None, [event(EventKind.FAILURE, 6.0, mode="bearing_wear")], at(10))
    assert tracker.live_history("pump1", "bearing_wear") is None
    (history,) = tracker.histories[("pump", "bearing_wear")]
    assert history[:, vib].tolist() == [0, 1, 2, 3, 4, 5]
    # repair ends at 8: the bearing's life restarts with the hour 8 row
    tracker.update(None, [event(EventKind.REPAIR_END, 8.0, mode="bearing_wear")], at(10))
    live = tracker.live_history("pump1", "bearing_wear")
    assert live is not None and live[:, vib].tolist() == [8, 9]
    # the impeller was never restored: its life runs from the start
    assert tracker.age_h("pump1", "impeller_wear") == 10
    # an overhaul restores both modes
    tracker.update(None, [event(EventKind.MAINTENANCE_END, 9.5, action="overhaul")], at(10))
    assert tracker.age_h("pump1", "impeller_wear") == 1
    assert tracker.age_h("pump1", "bearing_wear") == 1


def degrading_units(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    units = []
    for _ in range(n):
        life = int(rng.integers(120, 260))
        wear = np.linspace(0, 1, life) ** 2
        noise = rng.normal(0, 0.05, (life, 3))
        units.append(np.column_stack([wear, 2 * wear, np.zeros(life)]) + noise)
    return units


@pytest.fixture(scope="module")
def small_model() -> BoostedWindowRul:
    units = degrading_units(24, np.random.default_rng(0))
    settings = FleetRulSettings(
        cap=80, windows=(5, 20, 60), baseline_rows=10, min_history=10, n_estimators=40
    )
    return settings.model().fit(units)


def test_last_row_predictions_equal_the_every_row_computation(
    small_model: BoostedWindowRul,
) -> None:
    # the live path reads only the rows the last row's features depend on; the evaluation
    # path computes every row's features: both must give the same distribution at a cut
    units = degrading_units(3, np.random.default_rng(5))
    cuts = [units[0][:40], units[1][:150], units[2]]
    fast = small_model.predict(cuts)
    for unit, cut, i in zip(units, cuts, range(3), strict=True):
        every = predict_every_row(small_model, unit)
        assert np.allclose(fast.values[i], every.values[len(cut) - 1])


def test_fleet_models_skip_pairs_with_too_few_histories() -> None:
    units = degrading_units(6, np.random.default_rng(2))
    settings = FleetRulSettings(cap=80, windows=(5, 20), baseline_rows=10, n_estimators=20)
    models = FleetRulModels(settings).fit({("a", "m"): units, ("b", "m"): units[:3]})
    assert set(models.models_) == {("a", "m")}
    assert models.predict(("b", "m"), units) is None
    dist = models.predict(("a", "m"), [units[0][:50]])
    assert dist is not None and dist.p10[0] <= dist.p50[0] <= dist.p90[0]


def test_settings_key_changes_with_plant_and_settings() -> None:
    base = FleetRulSettings()
    assert base.key(PLANT) == FleetRulSettings().key(PLANT)
    assert base.key(PLANT) != FleetRulSettings(cap=500).key(PLANT)
    other = PLANT.model_copy(update={"ambient_swing_c": 5.0})
    assert base.key(PLANT) != base.key(other)
    assert base.key(PLANT).startswith("demo-")
