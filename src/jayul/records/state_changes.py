"""Timed state changes read from a plant's events, so a machine's state is known per sample.

A state known only at the end of each batch cannot say which rows inside it ran: a machine
that stops and starts again within one tick reads as running throughout, and its idle rows
look like faults. Events carry their own times, so the loop turns the ones that change a
machine's state into (time, machine, state) and the health monitor masks rows by them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from jayul.records.events import Event, EventKind
from jayul.records.state import MachineState

_STATE_AFTER = {
    EventKind.OPERATION_START: MachineState.RUNNING,
    EventKind.OPERATION_END: MachineState.IDLE,
    EventKind.FAILURE: MachineState.DOWN,
    EventKind.REPAIR_START: MachineState.DOWN,
    EventKind.REPAIR_END: MachineState.IDLE,
    EventKind.MAINTENANCE_START: MachineState.MAINTENANCE,
    EventKind.MAINTENANCE_END: MachineState.IDLE,
}


STATE_EVENT_KINDS = tuple(_STATE_AFTER)  # the event kinds that change a machine's state
PRODUCTION_EVENT_KINDS = (EventKind.OPERATION_START, EventKind.OPERATION_END)


class StateChange(NamedTuple):
    time: int  # UTC ns: the state holds from this time on
    machine: str
    state: MachineState


def state_changes(events: Iterable[Event]) -> list[StateChange]:
    """The state changes among `events`, in time order (events of other kinds ignored)."""
    changes = [
        StateChange(e.time, e.machine, _STATE_AFTER[e.kind])
        for e in events
        if e.machine and e.kind in _STATE_AFTER
    ]
    return sorted(changes, key=lambda c: c.time)
