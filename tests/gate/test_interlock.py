"""The safe-envelope interlock on its own."""

from __future__ import annotations

import math

import pytest
from gate_helpers import T0, maintenance, setpoint

from jayul.gate import envelope_violation
from jayul.plant.model import Plant
from jayul.records.events import Action, ActionKind


def at_default(machine: str, sp: str) -> float:
    return {"speed_rpm": 1450.0, "feed_override": 100.0, "pressure_limit": 210.0}[sp]


def test_valid_setpoint_change_passes(plant: Plant) -> None:
    assert envelope_violation(plant, setpoint(1600.0), at_default) is None
    assert envelope_violation(plant, setpoint(1500), at_default) is None  # ints are numbers


@pytest.mark.parametrize(
    ("value", "unit", "fragment"),
    [
        (1900.0, "rpm", "outside its envelope"),
        (850.0, "rpm", "outside its envelope"),
        (1700.0, "rpm", "largest allowed step"),
        (math.nan, "rpm", "not finite"),
        (math.inf, "rpm", "not finite"),
        ("1500", "rpm", "not a number"),
        (True, "rpm", "not a number"),
        (None, "rpm", "not a number"),
        (10**400, "rpm", "too large"),
        (1500.0, "rad/s", "unit"),
        (1500.0, "RPM", "unit"),
    ],
)
def test_bad_setpoints_are_refused(plant: Plant, value: object, unit: str, fragment: str) -> None:
    reason = envelope_violation(plant, setpoint(value, unit), at_default)
    assert reason is not None and fragment in reason


def test_unknown_machine_setpoint_and_extra_params(plant: Plant) -> None:
    assert "unknown machine" in str(
        envelope_violation(plant, setpoint(1500.0, machine="x"), at_default)
    )
    wrong_sp = Action(
        time=T0,
        machine="cnc1",
        kind=ActionKind.CHANGE_SETPOINT,
        origin="o",
        params={"setpoint": "speed_rpm", "value": 100.0, "unit": "rpm"},
    )
    assert "not one of" in str(envelope_violation(plant, wrong_sp, at_default))
    extra = Action(
        time=T0,
        machine="pump1",
        kind=ActionKind.CHANGE_SETPOINT,
        origin="o",
        params={"setpoint": "speed_rpm", "value": 1500.0, "unit": "rpm", "force": 1},
    )
    assert "exactly" in str(envelope_violation(plant, extra, at_default))


def test_step_is_measured_from_the_current_value(plant: Plant) -> None:
    assert envelope_violation(plant, setpoint(1750.0), lambda m, s: 1600.0) is None
    assert envelope_violation(plant, setpoint(1750.0), at_default) is not None


def test_maintenance_must_belong_to_the_machine_type(plant: Plant) -> None:
    assert envelope_violation(plant, maintenance("bearing_service"), at_default) is None
    assert "not one of" in str(envelope_violation(plant, maintenance("die_change"), at_default))
    assert "not one of" in str(envelope_violation(plant, maintenance(None), at_default))  # type: ignore[arg-type]


def test_nan_anywhere_in_params_is_refused(plant: Plant) -> None:
    stop = Action(
        time=T0,
        machine="press1",
        kind=ActionKind.STOP_MACHINE,
        origin="o",
        params={"detail": {"eta_h": math.nan}},
    )
    assert "not finite" in str(envelope_violation(plant, stop, at_default))
