"""A calibrated twin starts from the plant's live condition: the health index read from a live
RUL on the calibrated process matches, by simulation of the twin's own process, the RUL it
came from; a short RUL shows a young machine worn; and the autopilot hands its RUL monitor's
estimates to the plant's fork."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jayul.calibrate.exposure import LOAD_SQUARE
from jayul.calibrate.live_state import MAX_HEALTH, health_from_median_life, wear_pace
from jayul.calibrate.plant_twin import PlantTwin
from jayul.decide.policy import LiveCondition, RulView
from jayul.plant.model import FailureMode

SMALL_PATH = Path(__file__).parent / "small_plant.yaml"


def _mode(process: str, wear: float, shape: float) -> FailureMode:
    return FailureMode.model_validate(
        {
            "id": "m",
            "process": process,
            "wear_per_h": wear,
            "shape_per_h": shape,
            "onset": 0.3,
            "effects": {},
            "repair_h": 5,
            "repair_cost": 100,
            "repair_crew": "fitters",
        }
    )


def _simulated_median_life(mode: FailureMode, health: float, rng: np.random.Generator) -> float:
    """Median wear hours from `health` to 1, simulating the twin's process hour by hour."""
    mu, k = float(mode.wear_per_h or 0), float(mode.shape_per_h or 0)
    steps = int(4.0 / mu)
    if mode.process == "wiener":
        inc = mu + mu / np.sqrt(k) * rng.standard_normal((4000, steps))
    else:
        inc = rng.gamma(k, mu / k, (4000, steps))
    paths = health + np.cumsum(inc, axis=1)
    first = np.argmax(paths >= 1.0, axis=1) + 1.0  # hours to the first passage
    return float(np.median(first))


@pytest.mark.parametrize(
    ("process", "wear", "shape"),
    [("gamma", 0.01, 0.1), ("gamma", 0.005, 0.02), ("wiener", 0.01, 0.3)],
)
@pytest.mark.parametrize("health", [0.2, 0.6, 0.9])
def test_the_health_read_from_a_median_life_has_that_median_life(
    process: str, wear: float, shape: float, health: float
) -> None:
    mode = _mode(process, wear, shape)
    median = _simulated_median_life(mode, health, np.random.default_rng(7))
    assert health_from_median_life(mode, median) == pytest.approx(health, abs=0.03)


def test_health_is_bounded_and_falls_with_the_remaining_life() -> None:
    mode = _mode("gamma", 0.01, 0.1)
    assert health_from_median_life(mode, 10_000.0) == 0.0  # longer than a new part's
    assert health_from_median_life(mode, 0.0) == MAX_HEALTH  # overdue: not failed yet
    lives = [90.0, 60.0, 30.0, 5.0]
    healths = [health_from_median_life(mode, life) for life in lives]
    assert healths == sorted(healths) and healths[0] < 0.2 and healths[-1] > 0.9


def test_wear_pace_counts_idle_hours_at_the_idle_rate() -> None:
    assert wear_pace(None, 100.0) == 1.0
    assert wear_pace(100.0, 100.0) == pytest.approx(LOAD_SQUARE)
    assert wear_pace(0.0, 100.0) == pytest.approx(0.1)


def test_a_short_live_rul_shows_a_young_machine_worn() -> None:
    twin = PlantTwin.load(SMALL_PATH)
    hours = {"saw1": {"blade": 10.0}, "saw2": {"blade": 10.0}}
    by_hours = twin.at(hours)
    # saw1's blade: 10 run hours of a 100-hour mean life, but the live RUL says 8 hours left
    short = RulView((0.1, 0.5, 0.9), (4.0, 8.0, 12.0), age_h=10.0)
    condition: LiveCondition = {"saw1": {"blade": short}}
    live = twin.at(hours, condition)
    assert by_hours.machines["saw1"].health["blade"] == pytest.approx(0.1)
    assert live.machines["saw1"].health["blade"] > 0.85
    # saw2 has no live estimate: still read from its run hours
    assert live.machines["saw2"].health["blade"] == pytest.approx(0.1)
    assert live.machines["saw1"].run_hours_since["blade"] == 10.0


def test_a_rul_at_its_models_cap_only_bounds_the_health() -> None:
    twin = PlantTwin.load(SMALL_PATH)
    hours = {"saw1": {"blade": 10.0}}
    # the model learnt "60 hours or more" for every longer life: 58 hours says "far from it"
    capped = RulView((0.1, 0.5, 0.9), (50.0, 58.0, 60.0), age_h=10.0, cap_h=60.0)
    far = twin.at(hours, {"saw1": {"blade": capped}})
    assert far.machines["saw1"].health["blade"] == pytest.approx(0.1)  # the run hours' reading
    # read as a point estimate, the same 58 hours would put the blade at about a third worn
    uncapped = RulView(capped.levels, capped.hours, age_h=10.0)
    assert twin.at(hours, {"saw1": {"blade": uncapped}}).machines["saw1"].health["blade"] > 0.25
