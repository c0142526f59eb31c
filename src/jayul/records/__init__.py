"""The data standard: columnar sample batches and typed event records.

Every arrow of the loop carries one of these. See docs/data-standard.md.
"""

from jayul.records.autonomy import AutonomyLevel
from jayul.records.events import (
    Action,
    ActionKind,
    Alert,
    Decision,
    Event,
    EventKind,
    RiskClass,
    SignalContribution,
)
from jayul.records.samples import Quality, Samples
from jayul.records.state import MachineState
from jayul.records.state_changes import StateChange
from jayul.records.timebase import from_ns, to_ns, utc_now_ns

__all__ = [
    "Action",
    "ActionKind",
    "Alert",
    "AutonomyLevel",
    "Decision",
    "Event",
    "EventKind",
    "MachineState",
    "Quality",
    "RiskClass",
    "Samples",
    "SignalContribution",
    "StateChange",
    "from_ns",
    "to_ns",
    "utc_now_ns",
]
