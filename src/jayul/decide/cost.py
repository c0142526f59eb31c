"""Expected cost of a plan, recomputed from the plan itself, and the one-line explanations.

This is independent of the solver's scaled integer objective: it is what `Plan.objective`
reports and what benchmarks compare.
"""

from __future__ import annotations

from dataclasses import dataclass

from jayul.decide.discrete import (
    Discretised,
    DSolution,
    expected_maintenance_cost,
    no_maintenance_cost,
)
from jayul.decide.plan import Plan, ScheduledMaintenance, ScheduledOp
from jayul.decide.problem import PlanningProblem


@dataclass(frozen=True)
class CostBreakdown:
    """Expected total cost over the horizon, by kind (currency units)."""

    tardiness: float
    maintenance: float
    downtime: float
    expected_failure: float

    @property
    def total(self) -> float:
        """The sum of all parts."""
        return self.tardiness + self.maintenance + self.downtime + self.expected_failure


def evaluate_plan(problem: PlanningProblem, plan: Plan) -> CostBreakdown:
    """Expected cost of `plan` on `problem` (tardiness per order, maintenance, planned downtime,
    expected failure cost from each machine's RUL distribution)."""
    last: dict[str, tuple[int, float, float]] = {}
    for op in problem.operations:
        if op.order_id not in last or op.index > last[op.order_id][0]:
            due = float("inf") if op.due_h is None else op.due_h
            last[op.order_id] = (op.index, due, op.tardiness_cost_per_h * op.priority)
    tardiness = 0.0
    for order_id, (index, due, rate) in last.items():
        scheduled = plan.op(order_id, index)
        if scheduled is not None and scheduled.end_h > due:
            tardiness += (scheduled.end_h - due) * rate
    maintenance = downtime = failure = 0.0
    done = {m.machine: m for m in plan.maintenance}
    for machine in problem.machines:
        task = done.get(machine.id)
        option = None
        if task is not None:
            option = next((o for o in machine.maintenance if o.action_id == task.action_id), None)
        if option is None or task is None:
            failure += no_maintenance_cost(problem, machine)
            continue
        maintenance += option.cost
        downtime += option.duration_h * machine.downtime_cost_per_h
        failure += (
            expected_maintenance_cost(problem, machine, option, task.start_h)
            - option.cost
            - option.duration_h * machine.downtime_cost_per_h
        )
    return CostBreakdown(tardiness, maintenance, downtime, failure)


def _explain(d: Discretised, machine_id: str, option_index: int, start: int) -> str:
    problem = d.problem
    machine = problem.machine(machine_id)
    option = d.options[machine_id][option_index].option
    start_h = d.to_h(start)
    with_it = expected_maintenance_cost(problem, machine, option, start_h)
    without = no_maintenance_cost(problem, machine)
    if machine.failure is None:
        risk = "no failure risk known"
    else:
        risk = (
            f"P(fail before {start_h:.1f} h) {machine.failure.prob_before(start_h):.0%}, "
            f"P(fail in horizon if skipped) {machine.failure.prob_before(problem.end_h):.0%}"
        )
    why = "required by maintain-by rule; " if machine.maintain_by_h is not None else ""
    # "Why now": what the same action would cost later (8 h later, or at the horizon's end).
    later_h = min(start_h + 8.0, problem.end_h)
    wait = ""
    if later_h > start_h:
        later = expected_maintenance_cost(problem, machine, option, later_h)
        wait = f"; waiting {later_h - start_h:.0f} h would add {later - with_it:.0f}"
    return (
        f"{machine_id}: {option.action_id} at {start_h:.1f} h: {why}{risk}; expected cost "
        f"{with_it:.0f} vs {without:.0f} without, saves {without - with_it:.0f}{wait}"
    )


def to_plan(d: Discretised, sol: DSolution, status: str, solve_time_s: float) -> Plan:
    """Turn an integer solution into a `Plan` with explanations and its recomputed cost."""
    ops = tuple(
        ScheduledOp(
            op.order_id, op.index, sol.machines[i], d.to_h(sol.starts[i]), d.to_h(sol.op_end(d, i))
        )
        for i, op in enumerate(d.ops)
    )
    maint = []
    notes = []
    for machine in d.problem.machines:
        if machine.id in sol.maintenance:
            k, start = sol.maintenance[machine.id]
            opt = d.options[machine.id][k]
            maint.append(
                ScheduledMaintenance(
                    machine.id,
                    opt.option.action_id,
                    d.to_h(start),
                    d.to_h(start + opt.duration),
                    opt.option.crew,
                    _explain(d, machine.id, k, start),
                )
            )
        elif machine.failure is not None and machine.maintenance:
            best = min(
                expected_maintenance_cost(d.problem, machine, o, d.to_h(d.available[machine.id]))
                for o in machine.maintenance
            )
            notes.append(
                f"{machine.id}: no maintenance in horizon: expected failure cost "
                f"{no_maintenance_cost(d.problem, machine):.0f} vs at least {best:.0f} with it "
                f"(before any delay it causes to orders)"
            )
    plan = Plan(ops, tuple(maint), 0.0, status, solve_time_s, tuple(notes))
    objective = evaluate_plan(d.problem, plan).total
    return Plan(ops, tuple(maint), objective, status, solve_time_s, tuple(notes))
