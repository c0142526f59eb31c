"""The calibrated twin of a real plant: standing at the plant's run hours, refusing a twin of
another plant, and the recalibration policy (the twin that still predicts the failures is not
due; one whose wear is off is; a schedule makes it due whatever the history says)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jayul.calibrate.plant_twin import UNKNOWN_AGE, PlantTwin
from jayul.calibrate.recalibration import RecalibrationPolicy, prediction_check
from jayul.historian import Historian, open_historian
from jayul.plant import load_demo_plant, parse_plant
from jayul.plant.model import Plant
from jayul.records.timebase import NS_PER_H, to_ns
from jayul.twin import Twin

SMALL_PATH = Path(__file__).parent / "small_plant.yaml"
DAYS = 60


@pytest.fixture(scope="module")
def small() -> Plant:
    return parse_plant(SMALL_PATH.read_text())


@pytest.fixture(scope="module")
def events(small: Plant) -> Historian:
    """Sixty days of the small plant's events, with a blade change every ninth day."""
    twin = Twin(small, seed=5, signals=False)
    store = open_historian(":memory:")
    for day in range(1, DAYS + 1):
        twin.run_until(day * 24.0)
        if day % 9 == 0:
            twin.request_maintenance("saw1", "blade_change")
        store.append_events(twin.drain_events())
    return store


def _window(plant: Plant) -> tuple[int, int]:
    start = to_ns(plant.start)
    return start, start + int(DAYS * 24 * NS_PER_H)


def test_the_twin_stands_at_the_plants_run_hours() -> None:
    twin = PlantTwin.load(SMALL_PATH)
    assert twin.version.startswith("sha256:") and len(twin.version) == 19
    at = twin.at({"saw1": {"blade": 50.0, "motor": 10.0}})
    blade = twin.plant.machine_types["saw"].failure_modes[0]
    assert at.machines["saw1"].health["blade"] == pytest.approx(50.0 * (blade.wear_per_h or 0))
    # saw2 shows no run hours: half a mean life, and said
    assert at.machines["saw2"].health["blade"] == pytest.approx(UNKNOWN_AGE)
    assert twin.assumed == {"saw2/blade", "saw2/motor"}
    worn = twin.at({"saw1": {"blade": 10_000.0}})  # running: not past the failure threshold
    assert worn.machines["saw1"].health["blade"] < 1.0


def test_a_twin_of_another_plant_is_refused() -> None:
    with pytest.raises(ValueError, match="a twin of another plant"):
        PlantTwin.load(SMALL_PATH, structure=load_demo_plant())


def test_a_twin_that_predicts_the_failures_is_not_due(small: Plant, events: Historian) -> None:
    start, end = _window(small)
    check = prediction_check(small, events, start, end)
    assert check is not None and check.observed >= 10
    assert check.error < 0.3, check
    assert not RecalibrationPolicy().due(end, end - 1, check).due


def test_a_twin_whose_wear_drifted_is_due(small: Plant, events: Historian) -> None:
    data = small.model_dump(mode="json")
    data["machine_types"]["saw"]["failure_modes"][0]["wear_per_h"] = 0.004  # truth: 0.01
    start, end = _window(small)
    check = prediction_check(Plant.model_validate(data), events, start, end)
    due = RecalibrationPolicy(max_error=0.5).due(end, end - 1, check)
    assert due.due and due.reason.startswith("drift:"), due


def test_the_schedule_makes_it_due(small: Plant) -> None:
    _, end = _window(small)
    day = int(24 * NS_PER_H)
    policy = RecalibrationPolicy(every_days=30)
    assert not policy.due(end, end - 29 * day, None).due
    due = policy.due(end, end - 31 * day, None)  # no history to judge: the schedule alone
    assert due.due and due.reason.startswith("schedule:")
    assert prediction_check(small, open_historian(":memory:"), *_window(small)) is None
