"""A machine's operating state, as the loop sees it from the twin or from real equipment.

One vocabulary for every plant: the twin maps its own statuses onto it, and connected equipment
maps the PLC's codes or booleans onto it (the plant file's state bindings). The health monitor
reads it so that a healthy machine changing state raises no alert; the policies read it to know
which machines run and which wait.
"""

from __future__ import annotations

from enum import StrEnum


class MachineState(StrEnum):
    RUNNING = "running"  # producing (the twin's "busy")
    IDLE = "idle"  # powered, not producing
    SETUP = "setup"  # changeover or set-up between jobs
    MAINTENANCE = "maintenance"  # planned maintenance under way (or its crew on the way)
    DOWN = "down"  # failed, under repair or waiting for it
    UNKNOWN = "unknown"  # no state bound or not yet read

    @property
    def producing(self) -> bool:
        """True while the machine makes product: its signals then follow load and wear."""
        return self is MachineState.RUNNING
