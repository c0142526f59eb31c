"""Policies by name, with the tuned settings shipped for a plant."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from jayul.decide.baselines import ConditionBased, Preventive, Reactive, parse_intervals
from jayul.decide.policy import Policy
from jayul.plant.model import Plant

POLICY_NAMES = ("reactive", "preventive", "condition", "predictive")


def tuned_settings(plant: Plant) -> dict[str, Any]:
    """The tuned settings for this plant (the baselines', and the predictive policy's safety
    net), from `jayul bench policies --save-tuned` (shipped for the demo plant in
    jayul/decide/tuned/<plant>.json); empty when none were tuned."""
    path = Path(str(resources.files("jayul.decide").joinpath(f"tuned/{plant.name}.json")))
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def predictive_kwargs(settings: dict[str, Any]) -> dict[str, Any]:
    """The predictive policy's tuned keyword arguments from a plant's settings: the alarm
    safety net's threshold, the alarm's correction of the planner's risk, and the planner's
    deterministic work per re-plan when one is set."""
    raw = settings.get("predictive", {})
    kwargs: dict[str, Any] = {}
    for key in ("safety_threshold", "alarm_threshold"):
        kwargs[key] = None if raw.get(key) is None else float(raw[key])
    for key in ("alarm_rul_scale", "planning_work"):
        if raw.get(key) is not None:
            kwargs[key] = float(raw[key])
    return kwargs


def default_intervals(plant: Plant) -> dict[tuple[str, str], float]:
    """Untuned preventive intervals: half of each failure mode's mean life at full load."""
    return {
        (name, f.id): 0.5 / f.wear_per_h
        for name, mt in plant.machine_types.items()
        for f in mt.failure_modes
        if f.wear_per_h is not None  # no wear rate in the plant file: no default interval
    }


def make_policy(name: str, plant: Plant, settings: dict[str, Any] | None = None) -> Policy:
    """The policy called `name`, with `settings` or the tuned ones for the plant."""
    settings = tuned_settings(plant) if settings is None else settings
    if name == "reactive":
        return Reactive()
    if name == "preventive":
        raw = settings.get("preventive", {}).get("intervals")
        intervals = parse_intervals(raw) if raw else default_intervals(plant)
        return Preventive(intervals)
    if name == "condition":
        return ConditionBased(float(settings.get("condition", {}).get("threshold", 1.0)))
    if name == "predictive":
        from jayul.decide.predictive import Predictive  # OR-Tools only when planning

        # the autopilot attaches the production view and follows the plan (autopilot.setup)
        threshold = float(settings.get("condition", {}).get("threshold", 1.0))
        return Predictive(fallback_threshold=threshold, **predictive_kwargs(settings))
    raise ValueError(f"unknown policy {name!r}; choose one of {', '.join(POLICY_NAMES)}")
