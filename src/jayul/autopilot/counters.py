"""What an autopilot loop has seen and done: the twin's loop and the plant's (`jayul run`)
count the same things the same way, for the live view and the summary."""

from __future__ import annotations

from dataclasses import dataclass, field

from jayul.records import Alert


@dataclass
class Counters:
    """What a loop has seen and done, for the live view and the summary (twin or plant)."""

    alerts: int = 0
    actions_proposed: int = 0
    actions_executed: int = 0
    actions_declined: int = 0
    samples: int = 0
    events: int = 0
    recent_alerts: list[Alert] = field(default_factory=list)

    def note_alerts(self, alerts: list[Alert]) -> None:
        self.alerts += len(alerts)
        self.recent_alerts = (self.recent_alerts + alerts)[-20:]

    def note_action(self, executed: bool) -> bool:
        """Count one proposed action and whether it was carried out; returns `executed`."""
        self.actions_proposed += 1
        if executed:
            self.actions_executed += 1
        else:
            self.actions_declined += 1
        return executed
