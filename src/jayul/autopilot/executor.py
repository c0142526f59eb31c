"""Carrying out actions on the twin. In the loop, actions reach an executor only through the
gate (when one is configured); this is the last, plant-side step."""

from __future__ import annotations

from typing import Protocol

from jayul.records import Action, ActionKind
from jayul.twin import Twin


class ActionExecutor(Protocol):
    def execute(self, action: Action) -> bool:
        """Carry the action out; False when the plant declined it (e.g. machine down)."""
        ...


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
