"""Helpers shared by the gate tests (conftest.py puts this folder on sys.path)."""

from __future__ import annotations

from typing import Any

from jayul.gate import GateContext
from jayul.records.events import Action, ActionKind, RiskClass

T0 = 1_767_225_600_000_000_000  # 2026-01-01


class Recorder:
    """An executor that remembers what it was asked to do."""

    def __init__(self) -> None:
        self.done: list[Action] = []

    def __call__(self, action: Action) -> None:
        self.done.append(action)


def setpoint(value: Any, unit: str = "rpm", machine: str = "pump1", **kw: Any) -> Action:
    params = {"setpoint": "speed_rpm", "value": value, "unit": unit}
    return Action(
        time=T0,
        machine=machine,
        kind=ActionKind.CHANGE_SETPOINT,
        params=params,
        origin=kw.pop("origin", "policy:cbm"),
        **kw,
    )


def maintenance(name: str = "bearing_service", machine: str = "pump1", **kw: Any) -> Action:
    return Action(
        time=T0,
        machine=machine,
        kind=ActionKind.START_MAINTENANCE,
        params={"action": name},
        origin=kw.pop("origin", "policy:cbm"),
        **kw,
    )


def verified(**kw: Any) -> GateContext:
    return GateContext(proposer="autopilot", verdict=True, **kw)


def critical_stop(machine: str = "cnc1") -> Action:
    return Action(
        time=T0,
        machine=machine,
        kind=ActionKind.STOP_MACHINE,
        origin="policy:cbm",
        risk=RiskClass.CRITICAL,
    )
