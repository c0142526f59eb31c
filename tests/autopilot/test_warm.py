"""The warm start: part-worn machines alert soon after the detectors commission; a cold plant
does not in the same hours."""

from __future__ import annotations

import pytest

from jayul.autopilot.setup import pilot_for
from jayul.autopilot.warm import wear_in
from jayul.plant import demo_plant_path, load_plant
from jayul.twin import Twin


def _first_alerts(warm: bool, hours: int = 300) -> tuple[set[str], dict[str, tuple[str, float]]]:
    plant = load_plant(demo_plant_path())
    twin = Twin(plant, seed=0)
    worn = wear_in(twin) if warm else {}
    pilot = pilot_for(plant, twin, "reactive")
    pilot.run(hours)
    return {a.machine for a in pilot.counters.recent_alerts}, worn


def test_worn_machines_alert_within_days_and_new_ones_do_not() -> None:
    alerted, worn = _first_alerts(warm=True)
    assert set(worn) == {"press1", "cnc1", "pump1", "press3", "cnc4", "pump3"}
    for machine, (mode, h) in worn.items():
        assert 0.3 < h < 1.0, (machine, mode)
    # commissioning lasts 96 h of production (about 250 h of the clock here)
    assert alerted & set(worn), "a worn machine alerts soon after commissioning"
    cold, _ = _first_alerts(warm=False)
    assert not cold, f"a new plant does not alert in the same hours: {cold}"


def test_wear_in_refuses_a_started_twin_and_bad_fractions() -> None:
    plant = load_plant(demo_plant_path())
    twin = Twin(plant, seed=0)
    with pytest.raises(ValueError, match="fraction"):
        wear_in(twin, 1.0)
    twin.step(1.0)
    with pytest.raises(ValueError, match="not started"):
        wear_in(twin)
