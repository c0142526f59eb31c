"""The problem on an integer grid: minutes from `now_h`, costs in cents.

The CP-SAT planner and the greedy dispatcher both work on this view, so the dispatcher's plan is
a valid, complete hint for the solver. Maintenance may start at any minute of
its window; its expected cost (failure risk from the RUL CDF, maintenance cost, downtime) enters
the model as a non-decreasing step function of the start, sampled every `maintenance_step_min`
minutes, thinned where the curve is flat (`max_cost_steps` sets how flat), and charged at the
first breakpoint at or after the start, so the model never prices a maintenance below its cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from jayul.decide.problem import MachineState, MaintenanceOption, PlanningProblem

CENTS = 100


def to_min(hours: float) -> int:
    """Hours to whole minutes, rounded up (a duration never shrinks, a release never advances)."""
    return math.ceil(round(hours * 60.0, 6))


@dataclass(frozen=True)
class DOp:
    """An operation in minutes: durations per machine, release, predecessor, tardiness."""

    order_id: str
    index: int
    durations: dict[str, int]
    release: int
    pred: int | None
    due: int | None
    tardy_cents_per_min: int


@dataclass(frozen=True)
class DOption:
    """A maintenance option in minutes: allowed start window and its expected-cost steps.

    `steps` are (minute, cents) breakpoints, ascending in both, the first at `earliest` and the
    last at `latest` (or where the cost stops rising). The expected cost only grows as
    maintenance is put off (the chance of failing first grows), so starting at or before a
    breakpoint costs at most its cents. The model charges the first breakpoint at or after the
    start: exact on the breakpoints, never below the true cost between them. Charging the
    breakpoint before the start instead let the solver see a maintenance put off by up to a
    cell as free, and return plans that cost more than the dispatch plan it started from.
    `evaluate_plan` reports the exact cost.
    """

    machine: str
    option: MaintenanceOption
    duration: int
    earliest: int
    latest: int
    steps: tuple[tuple[int, int], ...]

    def charged_cents(self, start: int) -> int:
        """The model's cost of starting at `start` (an upper bound of the expected cost)."""
        for minute, cents in self.steps:
            if start <= minute:
                return cents
        return self.steps[-1][1]


@dataclass(frozen=True)
class Discretised:
    """The integer view of a `PlanningProblem`."""

    problem: PlanningProblem
    horizon: int
    ops: tuple[DOp, ...]
    available: dict[str, int]
    options: dict[str, tuple[DOption, ...]]
    no_maintenance_cents: dict[str, int]

    def to_h(self, minutes: int) -> float:
        """Minutes from now back to hours on the problem's epoch."""
        return self.problem.now_h + minutes / 60.0

    def last_ops(self) -> list[int]:
        """Indices of each order's last open operation (where tardiness is charged)."""
        last: dict[str, int] = {}
        for i, op in enumerate(self.ops):
            if op.order_id not in last or op.index > self.ops[last[op.order_id]].index:
                last[op.order_id] = i
        return sorted(last.values())


def expected_maintenance_cost(
    problem: PlanningProblem, machine: MachineState, option: MaintenanceOption, start_h: float
) -> float:
    """Expected cost of doing `option` at `start_h`: its cost and downtime, the chance of failing
    before it starts, and the risk it leaves in place until the horizon's end."""
    cost = option.cost + option.duration_h * machine.downtime_cost_per_h
    if machine.failure is not None:
        p_start = machine.failure.prob_before(start_h)
        p_end = machine.failure.prob_before(problem.end_h)
        cost += machine.failure_cost * (p_start + (1.0 - option.restores) * (p_end - p_start))
    return cost


def no_maintenance_cost(problem: PlanningProblem, machine: MachineState) -> float:
    """Expected failure cost over the horizon if the machine gets no maintenance."""
    if machine.failure is None:
        return 0.0
    return machine.failure_cost * machine.failure.prob_before(problem.end_h)


def _cost_steps(
    problem: PlanningProblem,
    machine: MachineState,
    option: MaintenanceOption,
    earliest: int,
    latest: int,
    step_min: int,
    max_steps: int,
) -> tuple[tuple[int, int], ...]:
    """Breakpoints every `step_min` from `earliest`, and `latest`, thinned where the risk curve
    is flat (few booleans in the model): a point is kept when the next one costs at least
    1/`max_steps` of the whole window's increase more than the last kept one, so a start
    charged at the next kept point pays at most that much (or one grid cell's rise) too much."""

    def cents(minute: int) -> int:
        start_h = problem.now_h + minute / 60.0
        return round(CENTS * expected_maintenance_cost(problem, machine, option, start_h))

    grid = list(range(earliest, latest + 1, step_min))
    if grid[-1] != latest:
        grid.append(latest)
    costs = [cents(minute) for minute in grid]
    threshold = max(1, (costs[-1] - costs[0]) // max_steps)
    steps = [(grid[0], costs[0])]
    for i in range(1, len(grid)):
        if i == len(grid) - 1 or costs[i + 1] - steps[-1][1] >= threshold:
            steps.append((grid[i], costs[i]))
    while len(steps) > 1 and steps[-1][1] == steps[-2][1]:
        steps.pop()  # flat to the window's end: one price covers it
    return tuple(steps)


def discretise(
    problem: PlanningProblem, maintenance_step_min: int = 15, max_cost_steps: int = 24
) -> Discretised:
    """Build the integer view; raises ValueError on invalid input (see `validate`)."""
    problems = problem.validate()
    if problems:
        raise ValueError("invalid planning problem: " + "; ".join(problems))
    horizon = to_min(problem.horizon_h)
    available = {m.id: max(0, to_min(m.available_from_h - problem.now_h)) for m in problem.machines}
    ordered = sorted(problem.operations, key=lambda o: (o.order_id, o.index))
    ops: list[DOp] = []
    for op in ordered:
        pred = len(ops) - 1 if ops and ops[-1].order_id == op.order_id else None
        due = None if op.due_h is None else round((op.due_h - problem.now_h) * 60.0)
        ops.append(
            DOp(
                op.order_id,
                op.index,
                {m: to_min(d) for m, d in op.eligible.items()},
                max(0, to_min(op.release_h - problem.now_h)),
                pred,
                due,
                round(op.tardiness_cost_per_h * op.priority * CENTS / 60.0),
            )
        )
    options: dict[str, tuple[DOption, ...]] = {}
    none_cost: dict[str, int] = {}
    for m in problem.machines:
        earliest, latest = available[m.id], horizon
        if m.maintain_by_h is not None:
            latest = min(latest, math.floor(round((m.maintain_by_h - problem.now_h) * 60.0, 6)))
        opts = []
        if earliest <= latest:
            for opt in m.maintenance:
                steps = _cost_steps(
                    problem, m, opt, earliest, latest, maintenance_step_min, max_cost_steps
                )
                opts.append(DOption(m.id, opt, to_min(opt.duration_h), earliest, latest, steps))
        options[m.id] = tuple(opts)
        none_cost[m.id] = round(CENTS * no_maintenance_cost(problem, m))
    return Discretised(problem, horizon, tuple(ops), available, options, none_cost)


@dataclass
class DSolution:
    """Decisions on the integer view: each op's machine and start, each machine's maintenance as
    (option index, start) or absent."""

    machines: list[str]
    starts: list[int]
    maintenance: dict[str, tuple[int, int]]

    def op_end(self, d: Discretised, i: int) -> int:
        """End minute of operation i."""
        return self.starts[i] + d.ops[i].durations[self.machines[i]]
