"""The CP-SAT planner: feasible plans (checked independently), idle-gap maintenance, re-planning
after a failure, warm starts, and the greedy fallback."""

from __future__ import annotations

from dataclasses import replace

from jayul.bench.jsp.check import check_plan
from jayul.bench.jsp.rolling import advance
from jayul.bench.jsp.synthetic import random_problem
from jayul.decide import (
    FailureRisk,
    MachineState,
    MaintenanceOption,
    OpenOperation,
    Planner,
    PlannerConfig,
    PlanningProblem,
    dispatch_plan,
)

ONE_CORE = PlannerConfig(time_limit_s=2.0, workers=1)


def _gap_problem(failure_cost: float) -> PlanningProblem:
    """One machine: order A due at 3 h fills [0, 3); order B is released at 6 h, due at 8 h.
    The machine's failure risk climbs steeply; a 2 h overhaul fits the idle gap [3, 6)."""
    risk = FailureRisk(((0.0, 0.0), (3.0, 0.05), (6.0, 0.3), (10.0, 0.9)))
    machine = MachineState(
        id="press",
        downtime_cost_per_h=10.0,
        maintenance=(MaintenanceOption("overhaul", 2.0, "mech", cost=100.0),),
        failure=risk,
        corrective_repair_h=0.0,
        corrective_cost=failure_cost,
    )
    ops = (
        OpenOperation("A", 0, {"press": 3.0}, due_h=3.0, tardiness_cost_per_h=500.0),
        OpenOperation("B", 0, {"press": 2.0}, release_h=6.0, due_h=8.0, tardiness_cost_per_h=500.0),
    )
    return PlanningProblem(0.0, 12.0, ops, (machine,), {"mech": 1})


def test_maintenance_goes_in_the_idle_gap_when_worth_it() -> None:
    problem = _gap_problem(failure_cost=10_000.0)
    plan = Planner(ONE_CORE).plan(problem)
    assert check_plan(problem, plan) == []
    assert plan.status in ("OPTIMAL", "FEASIBLE")
    (task,) = plan.maintenance
    assert task.start_h >= 3.0 - 1e-9 and task.end_h <= 6.0 + 1e-9
    assert "overhaul" in task.reason and "saves" in task.reason
    # Orders stay on time: the gap took the maintenance.
    assert plan.op("A", 0).end_h <= 3.0 + 1e-9  # type: ignore[union-attr]
    assert plan.op("B", 0).end_h <= 8.0 + 1e-9  # type: ignore[union-attr]


def test_no_maintenance_when_the_risk_costs_less_than_the_work() -> None:
    problem = _gap_problem(failure_cost=50.0)
    plan = Planner(ONE_CORE).plan(problem)
    assert check_plan(problem, plan) == []
    assert plan.maintenance == ()
    assert any("no maintenance" in n for n in plan.notes)


def test_plan_on_random_problem_is_feasible_and_beats_dispatch() -> None:
    problem = random_problem(n_machines=6, n_operations=40, seed=3)
    greedy = dispatch_plan(problem)
    assert check_plan(problem, greedy) == []
    plan = Planner(ONE_CORE).plan(problem)
    assert check_plan(problem, plan) == []
    assert plan.objective <= greedy.objective + 1e-6
    assert len(plan.operations) == 40


def test_maintain_by_rule_is_kept() -> None:
    base = random_problem(n_machines=4, n_operations=20, seed=5)
    first = base.machines[0]
    urgent = replace(first, maintain_by_h=2.0, failure=None)
    problem = replace(base, machines=(urgent, *base.machines[1:]))
    plan = Planner(ONE_CORE).plan(problem)
    assert check_plan(problem, plan) == []
    task = next(t for t in plan.maintenance if t.machine == first.id)
    assert task.start_h <= 2.0 + 1e-9
    assert "maintain-by" in task.reason


# Budgets in CP-SAT's deterministic time on one worker, not in seconds: the plans below are the
# same whatever else the machine runs (the wall-clock cap is only a safety net).
LONG_WORK = PlannerConfig(time_limit_s=60.0, work_limit=0.06)
SHORT_WORK = replace(LONG_WORK, work_limit=0.01)


def _tardiness_only(seed: int) -> PlanningProblem:
    """A random problem with tight due dates and no failure risk (no maintenance): its cost is
    tardiness alone, which the solver sees exactly but for rounding rates to cents a minute."""
    base = random_problem(n_machines=6, n_operations=40, horizon_h=8.0, seed=seed)
    machines = tuple(replace(m, failure=None, maintenance=()) for m in base.machines)
    return replace(base, machines=machines)


def _rounding_bound(problem: PlanningProblem) -> float:
    """How much worse, relatively, a plan no worse in the solver's cents can be in exact cost:
    each order's lateness is charged at its rate rounded to whole cents a minute, so the
    solver's cost is off by the ratio rounded/exact, once each way between two plans."""
    ratios = []
    for op in problem.operations:
        exact = op.tardiness_cost_per_h * op.priority * 100 / 60
        ratios.append(round(exact) / exact)
    return max(ratios) / min(ratios)


def test_warm_start_does_not_lose() -> None:
    problem = _tardiness_only(seed=3)
    previous = Planner(LONG_WORK).plan(problem)
    # The short budget alone, from the dispatch rules, stays well above the previous plan...
    cold = Planner(SHORT_WORK).plan(problem)
    bound = _rounding_bound(problem)
    assert cold.objective > previous.objective * bound
    # ...warm-started from the previous plan, it is never worse than that plan (up to what the
    # solver cannot see: the rounding, and the thousandth of a cent it counts per minute of each
    # order's end, which may buy earlier ends with a few cents of lateness).
    warm = Planner(SHORT_WORK).plan(problem, previous=previous)
    assert check_plan(problem, warm) == []
    last = {o.order_id: o.index for o in sorted(problem.operations, key=lambda o: o.index)}
    end_min = sum(o.end_h * 60 for o in previous.operations if last[o.order_id] == o.index)
    assert warm.objective <= previous.objective * bound + end_min / 1000 / 100


def test_replan_after_failure_is_feasible() -> None:
    problem = random_problem(n_machines=6, n_operations=40, seed=7)
    planner = Planner(SHORT_WORK)
    plan = planner.plan(problem)
    # A machine that is busy at 4 h fails then and needs 6 h of repair.
    busy = next(o for o in plan.operations if o.start_h < 4.0 < o.end_h)
    after = advance(problem, plan, 4.0, failed={busy.machine: 6.0})
    assert after.machine(busy.machine).available_from_h == 10.0
    assert any(o.order_id == busy.order_id and o.index == busy.index for o in after.operations)
    replanned = planner.plan(after, previous=plan)
    assert check_plan(after, replanned) == []
    assert all(o.start_h >= 10.0 - 1e-9 for o in replanned.operations if o.machine == busy.machine)


def test_fallback_when_the_solver_finds_nothing() -> None:
    # maintain-by before the machine is available: the model is infeasible, so the planner
    # returns the dispatch plan and says so; the checker reports the broken rule.
    base = _gap_problem(failure_cost=10_000.0)
    machine = replace(base.machines[0], available_from_h=5.0, maintain_by_h=1.0)
    problem = replace(base, machines=(machine,))
    plan = Planner(ONE_CORE).plan(problem)
    assert plan.status == "FALLBACK_GREEDY"
    assert any("maintain" in v for v in check_plan(problem, plan))


def test_work_limit_gives_the_same_plan_every_time() -> None:
    # a deterministic budget on one worker: the plan is a function of the problem alone
    problem = random_problem(n_machines=6, n_operations=40, seed=5)
    config = PlannerConfig(time_limit_s=30.0, work_limit=0.3)
    first = Planner(config).plan(problem)
    second = Planner(config).plan(problem)
    assert check_plan(problem, first) == []
    assert first.status == "FEASIBLE"  # the budget, not a proof, ended the search
    assert first.solve_time_s < config.time_limit_s
    assert first.operations == second.operations
    assert first.maintenance == second.maintenance
    assert first.objective == second.objective


def _rush_problem(due_h: float) -> PlanningProblem:
    """One machine: order A's 3 h operation, due at `due_h`; a 2 h overhaul whose risk climbs
    fast, so that by expected cost alone the overhaul goes first and A is late (its lateness
    costs 10 an hour, an hour of waiting risks thousands)."""
    machine = MachineState(
        id="press",
        downtime_cost_per_h=10.0,
        maintenance=(MaintenanceOption("overhaul", 2.0, "mech", cost=100.0),),
        failure=FailureRisk(((0.0, 0.0), (3.0, 0.3), (6.0, 0.9), (12.0, 0.95))),
        corrective_cost=10_000.0,
    )
    order = OpenOperation("A", 0, {"press": 3.0}, due_h=due_h, tardiness_cost_per_h=10.0)
    return PlanningProblem(0.0, 12.0, (order,), (machine,), {"mech": 1})


def test_maintenance_yields_to_a_due_date_when_a_slot_keeps_it() -> None:
    problem = _rush_problem(due_h=3.0)
    by_cost = Planner(ONE_CORE).plan(problem)
    assert by_cost.maintenance[0].start_h == 0.0  # cost alone: the order is 2 h late
    assert by_cost.op("A", 0).end_h == 5.0  # type: ignore[union-attr]
    on_time = Planner(replace(ONE_CORE, on_time_slack_h=0.0)).plan(problem)
    assert check_plan(problem, on_time) == []
    (task,) = on_time.maintenance  # the same overhaul, after the order
    assert task.action_id == "overhaul" and task.start_h == 3.0
    assert on_time.op("A", 0).end_h == 3.0  # type: ignore[union-attr]


def test_the_slack_keeps_a_margin_before_the_due_date_when_it_can() -> None:
    problem = _rush_problem(due_h=5.5)  # after the overhaul A ends at 5 h, 0.5 h early
    assert Planner(replace(ONE_CORE, on_time_slack_h=0.0)).plan(problem).maintenance[0].start_h == 0
    margin = Planner(replace(ONE_CORE, on_time_slack_h=1.0)).plan(problem)
    assert margin.op("A", 0).end_h == 3.0  # type: ignore[union-attr]
    assert margin.maintenance[0].start_h == 3.0
    # a margin no placement can keep (A due at 4 h, 2 h asked): on time without it
    tight = Planner(replace(ONE_CORE, on_time_slack_h=2.0)).plan(_rush_problem(due_h=4.0))
    assert tight.op("A", 0).end_h == 3.0  # type: ignore[union-attr]
    assert tight.maintenance[0].start_h == 3.0


def test_an_unavoidable_lateness_keeps_the_plan_by_cost() -> None:
    problem = _rush_problem(due_h=1.0)  # A is late whatever the overhaul does
    by_cost = Planner(ONE_CORE).plan(problem)
    on_time = Planner(replace(ONE_CORE, on_time_slack_h=0.0)).plan(problem)
    assert on_time.maintenance == by_cost.maintenance  # not put off for an order it cannot save
