"""The joint maintenance + production planner on CP-SAT.

Minimises expected total cost over the horizon: order tardiness, maintenance cost and planned
downtime, and expected failure cost (the chance the machine fails before its maintenance starts,
read from its RUL distribution, times what a failure costs). Operations and maintenance share
each machine (no overlap); maintenance needs a crew (cumulative per crew). Re-planning is
warm-started: the previous plan, repaired by the dispatcher into a complete feasible solution,
is the solver's hint, so the solver always has a feasible plan to improve and returns the best
one found within the time limit. If it finds none, the dispatch plan is returned, marked
FALLBACK_GREEDY; if the plan it finds costs more, by the exact expected cost (`evaluate_plan`),
than the dispatch plan it started from, that dispatch plan is returned, marked DISPATCH_CHEAPER.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from jayul.decide.cost import to_plan
from jayul.decide.discrete import Discretised, DSolution, discretise, to_min
from jayul.decide.dispatch import dispatch
from jayul.decide.model import MachineIntervals, TaskVars, add_precedence, add_task
from jayul.decide.plan import Plan
from jayul.decide.problem import PlanningProblem

# Main costs (cents) are multiplied by this; order completion minutes are added once each as a
# tie-breaker, so among equally cheap plans the solver prefers the one that finishes work early.
_COST_WEIGHT = 1000
# Currency units by which the dispatch plan must beat the solver's plan to replace it (float
# noise of the exact cost, which sums the same terms in different orders).
_EXACT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class PlannerConfig:
    """Solver settings: wall-clock limit for the whole call (model building included), CP-SAT
    workers, the step (minutes) at which the maintenance cost curve is sampled, the random seed,
    and whether CP-SAT presolves. Presolve is off by default: on 20 machines / 200 operations it
    took ~0.8 s of a 2 s budget; with an earliest-due-date hint the 2 s plans were 6-10 % cheaper
    without it, with the least-slack hint about the same either way (two seeds each, measured on
    a shared, loaded machine).

    `work_limit` (None: off) bounds the search by CP-SAT's deterministic time instead (a count
    of work, about a second of one worker on a quiet machine per unit) on one worker, so the
    same problem gets the same plan whatever the machine's load: a wall-clock limit makes a
    year of re-plans, and so a policy benchmark, depend on what else runs. `time_limit_s`
    then stays only as a safety cap, and a plan cut by it is no longer reproducible.

    `on_time_slack_h` (None: off) makes maintenance yield to due dates: when the plan found
    has maintenance and an order ending less than `on_time_slack_h` before its due date, the
    same maintenance (same machines, same actions) is placed again where every order ends at
    least that margin early, at the least cost; failing that, where every order is on time;
    failing that too, the plan by cost stands (`_on_time`). Expected cost alone may buy an
    hour of failure risk with an order's lateness; a plant keeps its delivery promise when a
    slot that keeps it exists, and the margin covers what the plan cannot see (a part scrapped
    and made again, orders still to come)."""

    time_limit_s: float = 2.0
    workers: int = 2
    maintenance_step_min: int = 15
    seed: int = 0
    presolve: bool = False
    work_limit: float | None = None
    on_time_slack_h: float | None = None


def _guides(
    d: Discretised, previous: Plan | None
) -> tuple[dict[tuple[str, int], tuple[str, int]] | None, dict[str, tuple[str, int]] | None]:
    if previous is None:
        return None, None
    now = d.problem.now_h
    ops = {
        (o.order_id, o.index): (o.machine, round((o.start_h - now) * 60))
        for o in previous.operations
    }
    maint = {m.machine: (m.action_id, round((m.start_h - now) * 60)) for m in previous.maintenance}
    return ops, maint


def dispatch_plan(problem: PlanningProblem, config: PlannerConfig | None = None) -> Plan:
    """The cheaper of the earliest-due-date and least-slack dispatch plans (status DISPATCH)."""
    t0 = time.perf_counter()
    d = discretise(problem, (config or PlannerConfig()).maintenance_step_min)
    plans = [to_plan(d, dispatch(d, slack=slack), "DISPATCH", 0.0) for slack in (False, True)]
    best = min(plans, key=lambda p: p.objective)
    return replace(best, solve_time_s=time.perf_counter() - t0)


class Planner:
    """Plans and re-plans: `plan(problem, previous)` returns the best plan found in time."""

    def __init__(self, config: PlannerConfig | None = None) -> None:
        self.config = config or PlannerConfig()

    def plan(self, problem: PlanningProblem, previous: Plan | None = None) -> Plan:
        """Solve `problem`, warm-started from `previous` (a plan for an earlier instant)."""
        t0 = time.perf_counter()
        d = discretise(problem, self.config.maintenance_step_min)
        # The previous plan, repaired to fit the new problem, is the natural warm start; but
        # after a big event a fresh dispatch can be cheaper, so hint whichever costs least.
        candidates = [dispatch(d), dispatch(d, slack=True)]
        if previous is not None:
            candidates.insert(0, dispatch(d, *_guides(d, previous)))
        costs = [to_plan(d, sol, "", 0.0).objective for sol in candidates]
        hint_cost = min(costs)
        hint = candidates[costs.index(hint_cost)]
        model, tasks, maint_vars, tardies = _build(d)
        _add_hints(model, d, hint, tasks, maint_vars)
        for i, tardy in tardies:
            due = d.ops[i].due
            model.add_hint(tardy, max(0, hint.op_end(d, i) - (due or 0)))
        solver = cp_model.CpSolver()
        # Keep ~0.15 s of the wall-clock budget for the solver's wind-down and building the Plan.
        solver.parameters.max_time_in_seconds = max(
            0.05, self.config.time_limit_s - (time.perf_counter() - t0) - 0.15
        )
        solver.parameters.num_workers = self.config.workers
        if self.config.work_limit is not None:
            solver.parameters.num_workers = 1  # one worker: CP-SAT is then deterministic
            solver.parameters.max_deterministic_time = self.config.work_limit
        solver.parameters.random_seed = self.config.seed
        solver.parameters.cp_model_presolve = self.config.presolve
        status = solver.solve(model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            sol = _extract(d, solver, tasks, maint_vars)
            name = solver.status_name(status)
            # The model's cost is close to, not equal to, the exact one (maintenance priced by
            # steps, lateness rates rounded to cents a minute): a plan cheaper in the model can
            # cost more than the hint. Judge by the exact cost, so the plan never costs more
            # than the dispatch plan it started from.
            if hint_cost < to_plan(d, sol, "", 0.0).objective - _EXACT_TOLERANCE:
                sol, name = hint, "DISPATCH_CHEAPER"
        else:
            sol, name = hint, "FALLBACK_GREEDY"
        slack = self.config.on_time_slack_h
        if slack is not None and sol.maintenance:
            for margin in sorted({to_min(slack), 0}, reverse=True):
                if _lateness(d, sol, margin) == 0:
                    break  # every order keeps this margin already
                moved = self._on_time(d, sol, margin)
                if moved is not None:
                    sol = moved
                    break
        return to_plan(d, sol, name, time.perf_counter() - t0)

    def _solver(self) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.05, self.config.time_limit_s)
        solver.parameters.num_workers = self.config.workers
        if self.config.work_limit is not None:
            solver.parameters.num_workers = 1
            solver.parameters.max_deterministic_time = self.config.work_limit
        solver.parameters.random_seed = self.config.seed
        solver.parameters.cp_model_presolve = self.config.presolve
        return solver

    def _on_time(self, d: Discretised, first: DSolution, margin: int) -> DSolution | None:
        """`first`'s maintenance (the same machines and actions) placed again so that every
        order ends at least `margin` minutes before its due date, at the least cost; None when
        no such placement is found (then the plan by cost stands: maintenance is not put off
        for an order it cannot keep on time)."""
        found = first
        for step in ("on time", "least cost"):
            model, tasks, maint_vars, _ = _build(d)
            _add_hints(model, d, found, tasks, maint_vars)
            for m, options in maint_vars.items():
                chosen = first.maintenance.get(m)
                for k, (lit, _, _) in enumerate(options):
                    model.add(lit == int(chosen is not None and chosen[0] == k))
            late = []
            for i in d.last_ops():
                due = d.ops[i].due
                if due is not None:
                    over = model.new_int_var(0, 10**9, f"late{i}")
                    model.add(over >= tasks[i].end - (due - margin))
                    model.add_hint(over, max(0, found.op_end(d, i) - (due - margin)))
                    late.append(over)
            if step == "on time":
                model.minimize(sum(late))
            else:
                model.add(sum(late) == 0)
            solver = self._solver()
            if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return None
            found = _extract(d, solver, tasks, maint_vars)
            if _lateness(d, found, margin) > 0:
                return None
        return found


def _lateness(d: Discretised, sol: DSolution, slack: int) -> int:
    """Minutes of work ending past each order's due date less `slack`, summed over orders."""
    return sum(
        max(0, sol.op_end(d, i) - (due - slack))
        for i in d.last_ops()
        if (due := d.ops[i].due) is not None
    )


# Per machine and maintenance option: (presence literal, start var, step-reached literals).
_MaintVars = dict[str, list[tuple[cp_model.IntVar, cp_model.IntVar, list[cp_model.IntVar]]]]


def _build(
    d: Discretised,
) -> tuple[cp_model.CpModel, list[TaskVars[str]], _MaintVars, list[tuple[int, cp_model.IntVar]]]:
    model = cp_model.CpModel()
    machines = MachineIntervals()
    longest = sum(max(op.durations.values()) for op in d.ops)
    maint_total = sum(max((o.duration for o in opts), default=0) for opts in d.options.values())
    ub = d.horizon + max(d.available.values(), default=0) + longest + maint_total
    for machine_id, avail in d.available.items():
        if avail > 0:  # the machine is busy or down until `avail`
            machines.add(
                machine_id, model.new_fixed_size_interval_var(0, avail, f"down_{machine_id}")
            )
    tasks: list[TaskVars[str]] = []
    for i, op in enumerate(d.ops):
        task = add_task(model, f"op{i}", op.durations, op.release, ub, machines)
        if op.pred is not None:
            add_precedence(model, tasks[op.pred], task)
        tasks.append(task)

    objective: list[cp_model.LinearExprT] = []
    tardies: list[tuple[int, cp_model.IntVar]] = []
    for i in d.last_ops():
        op = d.ops[i]
        objective.append(tasks[i].end)  # tie-breaker: finish early
        if op.due is not None and op.tardy_cents_per_min > 0:
            tardy = model.new_int_var(0, ub, f"tardy{i}")
            model.add(tardy >= tasks[i].end - op.due)
            tardies.append((i, tardy))
            objective.append(_COST_WEIGHT * op.tardy_cents_per_min * tardy)

    maint_vars: _MaintVars = {}
    crew_intervals: dict[str, list[tuple[cp_model.IntervalVar, int]]] = {}
    for m in d.problem.machines:
        present = []
        for k, opt in enumerate(d.options.get(m.id, ())):
            lit = model.new_bool_var(f"maint_{m.id}_{k}")
            start = model.new_int_var(opt.earliest, opt.latest, f"ms_{m.id}_{k}")
            interval = model.new_optional_interval_var(
                start, opt.duration, start + opt.duration, lit, f"mi_{m.id}_{k}"
            )
            machines.add(m.id, interval)
            crew_intervals.setdefault(opt.option.crew, []).append((interval, opt.option.crew_size))
            # Step cost (`DOption.charged_cents`): base when done at the earliest start; a start
            # past breakpoint j-1 pays up to breakpoint j, so the model never prices a start
            # below its expected cost. The step literal is forced on once the start passes the
            # previous breakpoint; the objective keeps it off otherwise (increments are >= 0).
            objective.append(_COST_WEIGHT * opt.steps[0][1] * lit)
            steps = []
            for j in range(1, len(opt.steps)):
                cents = opt.steps[j][1]
                reached = model.new_bool_var(f"step_{m.id}_{k}_{j}")
                model.add(start <= opt.steps[j - 1][0]).only_enforce_if([lit, ~reached])
                model.add_implication(reached, lit)
                objective.append(_COST_WEIGHT * (cents - opt.steps[j - 1][1]) * reached)
                steps.append(reached)
            present.append(lit)
            maint_vars.setdefault(m.id, []).append((lit, start, steps))
        if present:
            model.add_at_most_one(present)
        if m.maintain_by_h is not None:
            model.add_bool_or(present)  # infeasible without options: caught as fallback
        none_cents = d.no_maintenance_cents[m.id]
        if none_cents:
            if present:
                objective.append(_COST_WEIGHT * none_cents * (1 - sum(present)))
            else:
                objective.append(_COST_WEIGHT * none_cents)
    machines.post(model)
    for crew, items in crew_intervals.items():
        model.add_cumulative([iv for iv, _ in items], [c for _, c in items], d.problem.crews[crew])
    model.minimize(sum(objective))
    return model, tasks, maint_vars, tardies


def _add_hints(
    model: cp_model.CpModel,
    d: Discretised,
    hint: DSolution,
    tasks: list[TaskVars[str]],
    maint: _MaintVars,
) -> None:
    for i, task in enumerate(tasks):
        model.add_hint(task.start, hint.starts[i])
        model.add_hint(task.end, hint.op_end(d, i))
        for m, lit in task.presence.items():
            if not isinstance(lit, bool):
                model.add_hint(lit, m == hint.machines[i])
    for m, options in maint.items():
        chosen = hint.maintenance.get(m)
        for k, (lit, start, steps) in enumerate(options):
            opt = d.options[m][k]
            on = chosen is not None and chosen[0] == k
            at = chosen[1] if on and chosen is not None else opt.earliest
            model.add_hint(lit, on)
            model.add_hint(start, at)
            for j, reached in enumerate(steps, start=1):
                model.add_hint(reached, on and at > opt.steps[j - 1][0])


def _extract(
    d: Discretised, solver: cp_model.CpSolver, tasks: list[TaskVars[str]], maint: _MaintVars
) -> DSolution:
    machines, starts = [], []
    for task in tasks:
        chosen = next(
            m
            for m, lit in task.presence.items()
            if isinstance(lit, bool) or solver.boolean_value(lit)
        )
        machines.append(str(chosen))
        starts.append(solver.value(task.start))
    maintenance = {}
    for m, options in maint.items():
        for k, (lit, start, _) in enumerate(options):
            if solver.boolean_value(lit):
                maintenance[m] = (k, solver.value(start))
    return DSolution(machines, starts, maintenance)
