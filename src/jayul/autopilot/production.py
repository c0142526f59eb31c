"""Reading the twin's production state as a `ProductionView` for planning policies."""

from __future__ import annotations

from jayul.decide.plan import Plan
from jayul.decide.production import OpenOp, ProductionView
from jayul.twin import EarliestDueDate, Operation, Status, Twin


def production_view(twin: Twin) -> ProductionView:
    """Open operations of every order, and when each machine will be free."""
    plant = twin.plant
    ready = {(op.order_id, op.index) for op in twin.ready}
    running = {m.op for m in twin.machines.values() if m.op is not None}
    hours: dict[str, dict[str, float]] = {}  # operation name -> machine -> hours per unit work
    ops = []
    for order in twin.orders.values():
        for op in order.ops[order.next_op :]:
            if op.done or (op.order_id, op.index) in running:
                continue
            table = hours.get(op.name)
            if table is None:
                table = hours[op.name] = {
                    mid: plant.machine_type(mid).operations[op.name]
                    for mid in plant.machines_for(op.name)
                }
            eligible = {mid: h * op.work for mid, h in table.items()}
            ops.append(
                OpenOp(
                    str(op.order_id),
                    op.index,
                    op.name,
                    eligible,
                    op.due_h,
                    (op.order_id, op.index) in ready,
                )
            )
    due_by_machine: dict[str, float] = {}
    for timer in twin.timers.values():
        if timer.handler in ("op_end", "maintenance_end", "repair_end"):
            mid = str(timer.args[0])
            due_by_machine[mid] = max(due_by_machine.get(mid, 0.0), timer.due_h)
    free_at = {}
    for mid, m in twin.machines.items():
        if m.status is Status.IDLE:
            free_at[mid] = twin.now_h
        else:
            # waiting for a crew: at least until the due work ends; otherwise the timer's end
            free_at[mid] = max(due_by_machine.get(mid, twin.now_h), twin.now_h)
    return ProductionView(
        tuple(ops), free_at, dict(twin.crews_free), twin.order_spec.tardiness_cost_per_h
    )


class PlanDispatcher:
    """Follows the current plan's machine assignments: an idle machine takes the ready
    operation the plan put on it (earliest planned start first). Operations the plan does not
    cover, or whose machine is not free, go by earliest due date, so work never waits on a
    stale plan. `plan` is the plan in force (`TwinPlant.follow` sets it)."""

    def __init__(self, plan: Plan | None = None) -> None:
        self.plan = plan
        self.fallback = EarliestDueDate()

    def assign(
        self, twin: Twin, ready: list[Operation], idle: list[str]
    ) -> list[tuple[Operation, str]]:
        plan = self.plan
        free = list(idle)
        out: list[tuple[Operation, str]] = []
        rest = list(ready)
        if plan is not None:
            planned = {(o.order_id, o.index): o for o in plan.operations}
            for op in sorted(
                ready,
                key=lambda o: (
                    planned[(str(o.order_id), o.index)].start_h
                    if (str(o.order_id), o.index) in planned
                    else float("inf")
                ),
            ):
                slot = planned.get((str(op.order_id), op.index))
                if slot is not None and slot.machine in free:
                    out.append((op, slot.machine))
                    free.remove(slot.machine)
                    rest.remove(op)
        out.extend(self.fallback.assign(twin, rest, free))
        return out
