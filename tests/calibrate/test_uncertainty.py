"""Parameter uncertainty in verification: a thin history (priors) widens the futures."""

from __future__ import annotations

import numpy as np

from jayul.calibrate.uncertainty import sample_plants
from jayul.plant import load_demo_plant
from jayul.records import Action, ActionKind
from jayul.twin import Twin
from jayul.verify import Verifier


def test_priors_spread_wider_than_fitted_parameters() -> None:
    plant = load_demo_plant()
    fitted = {"pump/bearing_wear.wear_per_h": {"ci95": [0.00105, 0.00115], "value": 0.0011}}
    draws = sample_plants(plant, fitted, 40, seed=1)
    rates = np.array([d.machine_types["pump"].failure_modes[0].wear_per_h for d in draws])
    prior = np.array([d.machine_types["pump"].failure_modes[1].wear_per_h for d in draws])
    assert np.std(np.log(rates)) < 0.1 < np.std(np.log(prior))


def test_verifier_futures_run_on_the_drawn_plants() -> None:
    plant = load_demo_plant()
    twin = Twin(plant, seed=3, signals=False)
    twin.run_until(24 * 10)
    action = Action(
        time=twin.time_ns(),
        machine="pump1",
        kind=ActionKind.START_MAINTENANCE,
        params={"action": "overhaul"},
        origin="test",
    )
    draws = sample_plants(plant, {}, 4, seed=2)
    fixed = Verifier(futures=4, horizon_h=24 * 3).verify(twin, [(0.0, action)])
    wide = Verifier(futures=4, horizon_h=24 * 3, plant_draws=draws).verify(twin, [(0.0, action)])
    costs_fixed = [f.current_cost for f in fixed.futures]
    costs_wide = [f.current_cost for f in wide.futures]
    assert costs_fixed != costs_wide  # the futures ran on other parameters
    assert twin.plant is plant  # the parent twin is untouched
