"""Carrying out actions on a twin: the plant-side step of the loop, and the verifier's way of
playing a plan on a forked twin. It lives with the twin (not the autopilot) so that the verifier,
which sits below the autopilot, can use it without importing the loop."""

from __future__ import annotations

from jayul.records import Action, ActionKind
from jayul.twin.factory import Twin


class TwinExecutor:
    """Applies actions to a twin (or, identically, to a forked twin in the verifier)."""

    def __init__(self, twin: Twin) -> None:
        self.twin = twin

    def execute(self, action: Action) -> bool:
        if action.kind is ActionKind.START_MAINTENANCE:
            return self.twin.request_maintenance(action.machine, str(action.params["action"]))
        if action.kind is ActionKind.CHANGE_SETPOINT:
            self.twin.set_setpoint(
                action.machine, str(action.params["setpoint"]), float(action.params["value"])
            )
            return True
        raise ValueError(f"the twin cannot carry out {action.kind.value!r} actions")
