"""The twin's state as plain records, so that `Twin.fork()` is a deep copy.

Nothing the simulation needs lives in a generator frame: every pending event is a `Timer`
record, and the SimPy processes only wait for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from jayul.records.state import MachineState as OperatingState
from jayul.twin.sensors import Segment


class Status(StrEnum):
    IDLE = "idle"
    BUSY = "busy"
    WAIT_CREW = "wait_crew"  # reserved for maintenance or repair, its crew not yet free
    MAINTENANCE = "maintenance"
    DOWN = "down"  # failed and under repair (or waiting for the repair crew)

    @property
    def operating_state(self) -> OperatingState:
        """The status in the vocabulary every plant shares (`jayul.records.MachineState`)."""
        return _OPERATING_STATE[self]


_OPERATING_STATE = {
    Status.BUSY: OperatingState.RUNNING,
    Status.IDLE: OperatingState.IDLE,
    Status.WAIT_CREW: OperatingState.MAINTENANCE,  # stopped for its crew: no longer producing
    Status.MAINTENANCE: OperatingState.MAINTENANCE,
    Status.DOWN: OperatingState.DOWN,
}


@dataclass
class Operation:
    """One step of an order's routing."""

    order_id: int
    index: int
    name: str
    work: float
    due_h: float
    release_h: float
    done: bool = False


@dataclass
class Order:
    id: int
    product: str
    release_h: float
    due_h: float
    ops: list[Operation]
    next_op: int = 0
    done_h: float | None = None


@dataclass
class MachineState:
    id: str
    type: str
    status: Status = Status.IDLE
    health: dict[str, float] = field(default_factory=dict)
    load: float = 0.0  # 0 idle or stopped, about 1 while processing
    op: tuple[int, int] | None = None  # (order id, op index) being processed
    op_started_h: float = 0.0
    setpoints: dict[str, float] = field(default_factory=dict)
    pending_maintenance: list[str] = field(default_factory=list)
    failed_mode: str | None = None
    last_change_h: float = 0.0  # wear is applied up to here
    # Stretches of constant load within the current tick, for the sensor model.
    segments: list[Segment] = field(default_factory=list)
    unavailable_since_h: float | None = None
    run_hours_since: dict[str, float] = field(default_factory=dict)  # per failure mode


@dataclass
class Timer:
    """A pending event: at `due_h`, call the twin's handler `handler` with `args`."""

    id: int
    due_h: float
    handler: str
    args: tuple[str | int | float, ...]


@dataclass
class Ledger:
    """Running totals from which the KPIs are computed (docs/kpis.md)."""

    ops_completed: int = 0
    ops_scrapped: int = 0
    ideal_h: float = 0.0  # processing hours of completed ops at default setpoints
    failures: int = 0
    maintenances: int = 0
    failure_downtime_h: float = 0.0
    maintenance_downtime_h: float = 0.0
    maintenance_cost: float = 0.0
    failure_cost: float = 0.0
    orders_released: int = 0
    orders_done: int = 0
    orders_on_time: int = 0
    tardiness_h: float = 0.0
    failures_by_mode: dict[str, int] = field(default_factory=dict)
    failures_by_machine: dict[str, int] = field(default_factory=dict)
    # Maintenance and failure cost per "machine type/failure mode" (an action's cost is split
    # over the modes it restores), so each mode's policy can be judged on its own.
    cost_by_mode: dict[str, float] = field(default_factory=dict)
