"""The planner's output: where and when each operation and maintenance task runs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ScheduledOp:
    """One operation placed on a machine (hours on the problem's epoch)."""

    order_id: str
    index: int
    machine: str
    start_h: float
    end_h: float


@dataclass(frozen=True)
class ScheduledMaintenance:
    """One maintenance task placed on a machine with a crew, and why (one line)."""

    machine: str
    action_id: str
    start_h: float
    end_h: float
    crew: str
    reason: str = ""


@dataclass(frozen=True)
class Plan:
    """A complete plan and how it was found.

    `status` is the CP-SAT status (OPTIMAL or FEASIBLE), or FALLBACK_GREEDY when the solver found
    nothing in time and the cheapest dispatch plan is returned instead, DISPATCH_CHEAPER when
    the solver's plan cost more by `objective` than that dispatch plan, which is returned (or
    DISPATCH when a dispatch plan was asked for directly). `objective` is the expected total
    cost in the problem's currency, recomputed from the plan (not the solver's scaled figure).
    `notes` explain the machines left without maintenance.
    """

    operations: tuple[ScheduledOp, ...]
    maintenance: tuple[ScheduledMaintenance, ...]
    objective: float
    status: str
    solve_time_s: float
    notes: tuple[str, ...] = field(default_factory=tuple)

    def op(self, order_id: str, index: int) -> ScheduledOp | None:
        """The scheduled operation (order_id, index), or None."""
        for o in self.operations:
            if o.order_id == order_id and o.index == index:
                return o
        return None
