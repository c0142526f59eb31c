"""State changes read from a plant's events."""

from __future__ import annotations

from jayul.records import Event, EventKind, MachineState
from jayul.records.state_changes import StateChange, state_changes


def test_events_become_timed_changes_in_time_order() -> None:
    events = [
        Event(time=30, machine="m1", kind=EventKind.OPERATION_END),
        Event(time=10, machine="m1", kind=EventKind.OPERATION_START),
        Event(time=20, machine="m2", kind=EventKind.FAILURE),
        Event(time=25, machine="m2", kind=EventKind.ALERT),  # not a change of state
        Event(time=40, machine=None, kind=EventKind.ORDER_DONE),
        Event(time=50, machine="m2", kind=EventKind.MAINTENANCE_START),
    ]
    assert state_changes(events) == [
        StateChange(10, "m1", MachineState.RUNNING),
        StateChange(20, "m2", MachineState.DOWN),
        StateChange(30, "m1", MachineState.IDLE),
        StateChange(50, "m2", MachineState.MAINTENANCE),
    ]
