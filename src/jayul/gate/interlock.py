"""The safe-envelope interlock: a hard rule checked first for every action.

It is a plain function of the plant file, the action and the current setpoint values. No
model, policy, API caller or configuration can switch it off: the gate calls it before any
other check and again just before executing an approved action.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from jayul.plant.model import Plant
from jayul.records.events import Action, ActionKind

CurrentValue = Callable[[str, str], float]
"""(machine, setpoint) -> the value in force now."""

_SETPOINT_KEYS = {"setpoint", "value", "unit"}
_MAX_PARAM_DEPTH = 4


def envelope_violation(plant: Plant, action: Action, current: CurrentValue) -> str | None:
    """Why `action` breaks the safe envelope, or None when it stays inside it."""
    machine_ids = set(plant.machine_ids)
    if action.machine not in machine_ids:
        return f"unknown machine {action.machine!r}"
    bad = _non_finite(action.params, 0)
    if bad:
        return bad
    mtype = plant.machine_type(action.machine)
    if action.kind is ActionKind.CHANGE_SETPOINT:
        return _setpoint_violation(plant, action, current)
    if action.kind is ActionKind.START_MAINTENANCE:
        name = action.params.get("action")
        known = [m.id for m in mtype.maintenance]
        if not isinstance(name, str) or name not in known:
            return f"maintenance action {name!r} is not one of {action.machine}'s: {known}"
    return None


def _setpoint_violation(plant: Plant, action: Action, current: CurrentValue) -> str | None:
    params = action.params
    if set(params) != _SETPOINT_KEYS:
        return f"a setpoint change needs exactly {sorted(_SETPOINT_KEYS)}, got {sorted(params)}"
    name, value, unit = params["setpoint"], params["value"], params["unit"]
    known = {sp.id: sp for sp in plant.machine_type(action.machine).setpoints}
    if not isinstance(name, str) or name not in known:
        return f"setpoint {name!r} is not one of {action.machine}'s: {sorted(known)}"
    sp = known[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"setpoint value {value!r} is not a number"
    try:
        value = float(value)
    except OverflowError:
        return "setpoint value is too large to be a number"
    if not math.isfinite(value):
        return f"setpoint value {value!r} is not finite"
    if unit != sp.unit:
        return f"unit {unit!r} is not the setpoint's unit {sp.unit!r}"
    env = sp.envelope
    if not env.low <= value <= env.high:
        return f"{name}={value:g} {sp.unit} is outside its envelope [{env.low:g}, {env.high:g}]"
    now = float(current(action.machine, name))
    if env.max_step is not None and abs(value - now) > env.max_step:
        return (
            f"{name} step {now:g} -> {value:g} exceeds the largest allowed step "
            f"{env.max_step:g} {sp.unit}"
        )
    return None


def _non_finite(value: Any, depth: int) -> str | None:
    """Refuse NaN or infinity anywhere in the parameters, and absurdly nested ones."""
    if depth > _MAX_PARAM_DEPTH:
        return "parameters nested too deeply"
    if isinstance(value, float) and not math.isfinite(value):
        return f"parameter value {value!r} is not finite"
    if isinstance(value, dict):
        for v in value.values():
            if found := _non_finite(v, depth + 1):
                return found
    if isinstance(value, list | tuple):
        for v in value:
            if found := _non_finite(v, depth + 1):
                return found
    return None
