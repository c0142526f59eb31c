"""Carrying out actions on the plant. In the loop, actions reach an executor only through the
gate (when one is configured); this is the last, plant-side step. The twin's executor lives in
`jayul.twin.executor` (the verifier uses it too) and is re-exported here."""

from __future__ import annotations

from typing import Protocol

from jayul.records import Action
from jayul.twin.executor import TwinExecutor

__all__ = ["ActionExecutor", "TwinExecutor"]


class ActionExecutor(Protocol):
    def execute(self, action: Action) -> bool:
        """Carry the action out; False when the plant declined it (e.g. machine down)."""
        ...
