"""Rolling horizon: the problem left at a later instant, after the previous plan ran until then.

An event (new order, alert, failure, finished maintenance) changes the problem; the caller
builds the new problem with these helpers (or its own) and calls `Planner.plan(new, previous)`.
"""

from __future__ import annotations

from dataclasses import replace

from jayul.decide.plan import Plan
from jayul.decide.problem import MachineState, OpenOperation, PlanningProblem


def advance(
    problem: PlanningProblem,
    plan: Plan,
    now_h: float,
    failed: dict[str, float] | None = None,
    extra_operations: tuple[OpenOperation, ...] = (),
    machines: dict[str, MachineState] | None = None,
) -> PlanningProblem:
    """The problem at `now_h`, assuming `plan` ran as planned until then.

    Operations that started before `now_h` are done or running: they leave the open list and a
    running one keeps its machine busy until its planned end. `failed` maps a machine that
    failed at `now_h` to its repair time in hours: its running operation is lost and open again,
    it is unavailable until the repair ends, and its failure risk restarts (None: unknown) unless
    `machines` gives its new state. Maintenance that started before `now_h` keeps its machine
    busy until its end; `machines` replaces machine states (e.g. a fresh RUL after an alert or
    finished maintenance); `extra_operations` are new orders.
    """
    failed = failed or {}
    machines = machines or {}
    busy_until: dict[str, float] = {}
    still_open: list[OpenOperation] = []
    order_ready: dict[str, float] = {}  # a successor of a running operation waits for its end
    for op in sorted(problem.operations, key=lambda o: (o.order_id, o.index)):
        s = plan.op(op.order_id, op.index)
        if s is None or s.start_h >= now_h:
            release = max(op.release_h, now_h, order_ready.get(op.order_id, now_h))
            still_open.append(replace(op, release_h=release))
        elif s.end_h > now_h:  # running now
            if s.machine in failed:
                still_open.append(replace(op, release_h=now_h))
            else:
                busy_until[s.machine] = max(busy_until.get(s.machine, now_h), s.end_h)
                order_ready[op.order_id] = s.end_h
    for t in plan.maintenance:
        if t.start_h < now_h < t.end_h and t.machine not in failed:
            busy_until[t.machine] = max(busy_until.get(t.machine, now_h), t.end_h)
    new_machines = []
    for m in problem.machines:
        state = machines.get(m.id, m)
        available = max(state.available_from_h, now_h, busy_until.get(m.id, now_h))
        if m.id in failed:
            available = max(available, now_h + failed[m.id])
            if m.id not in machines:
                state = replace(state, failure=None, maintain_by_h=None)
        new_machines.append(replace(state, available_from_h=available))
    return PlanningProblem(
        now_h,
        problem.horizon_h,  # the horizon rolls forward with the same length
        tuple(still_open) + tuple(extra_operations),
        tuple(new_machines),
        dict(problem.crews),
    )
