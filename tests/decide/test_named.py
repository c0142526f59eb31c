"""Policies by name with a plant's tuned settings."""

from __future__ import annotations

from jayul.decide.named import make_policy, predictive_kwargs
from jayul.decide.predictive import Predictive
from jayul.plant import demo_plant_path, load_plant


def test_predictive_kwargs_read_every_shipped_key() -> None:
    raw = {
        "predictive": {
            "safety_threshold": None,
            "alarm_threshold": 3,
            "alarm_rul_scale": 0.2,
            "planning_work": 0.5,
        }
    }
    assert predictive_kwargs(raw) == {
        "safety_threshold": None,
        "alarm_threshold": 3.0,
        "alarm_rul_scale": 0.2,
        "planning_work": 0.5,
    }
    assert predictive_kwargs({}) == {"safety_threshold": None, "alarm_threshold": None}


def test_planning_work_reaches_the_planner() -> None:
    plant = load_plant(demo_plant_path())
    policy = make_policy("predictive", plant, {"predictive": {"planning_work": 0.4}})
    assert isinstance(policy, Predictive)
    assert policy.planner.config.work_limit == 0.4
    assert policy.planner.config.time_limit_s >= 20.0  # a guard only, never the binding limit
    shipped = make_policy("predictive", plant)
    assert isinstance(shipped, Predictive)
    # the shipped policy plans to a deterministic budget (decide/tuned/demo.json)
    assert shipped.planner.config.work_limit == 0.5
