"""The planner's plan never costs more, by the exact expected cost, than the dispatch plan it
is warm-started from: the model prices a maintenance at no less than its cost, and a plan the
model's rounding misjudges gives way to the dispatch plan."""

from __future__ import annotations

from jayul.bench.jsp.check import check_plan
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
from jayul.decide.cost import evaluate_plan
from jayul.decide.discrete import CENTS, discretise, expected_maintenance_cost

ONE_WORKER = PlannerConfig(time_limit_s=30.0, work_limit=0.3)


def _risk_within_a_cell() -> PlanningProblem:
    """One press whose failure risk climbs from 0 to 90 % in its first 15 minutes; a 1 h
    overhaul; order A, 14 minutes of work due at 15 minutes. Overhauling first makes A 59
    minutes late (about 98); running A first puts the overhaul off 14 minutes, which risks
    about 8400 of failure: inside one 15-minute cell of the cost grid."""
    press = MachineState(
        id="press",
        downtime_cost_per_h=10.0,
        maintenance=(MaintenanceOption("overhaul", 1.0, "mech", cost=100.0),),
        failure=FailureRisk(((0.0, 0.0), (0.25, 0.9), (24.0, 1.0))),
        corrective_cost=10_000.0,
    )
    order = OpenOperation("A", 0, {"press": 14 / 60}, due_h=0.25, tardiness_cost_per_h=100.0)
    return PlanningProblem(0.0, 24.0, (order,), (press,), {"mech": 1})


def test_maintenance_put_off_within_a_grid_cell_is_charged_what_it_risks() -> None:
    problem = _risk_within_a_cell()
    greedy = dispatch_plan(problem)
    plan = Planner(ONE_WORKER).plan(problem)
    assert check_plan(problem, plan) == []
    # Charged at the cell's lower step, the 14-minute delay looked free and the plan cost ~8510
    # against dispatch's ~208.
    assert plan.objective <= greedy.objective + 1e-9
    assert plan.status in ("OPTIMAL", "FEASIBLE")  # the solver itself no longer errs
    (task,) = plan.maintenance
    assert task.start_h == 0.0
    assert plan.objective == evaluate_plan(problem, plan).total


def test_the_model_never_prices_a_start_below_its_expected_cost() -> None:
    problem = _risk_within_a_cell()
    press = problem.machines[0]
    (option,) = discretise(problem).options["press"]
    for start in range(option.earliest, option.latest + 1):
        exact = CENTS * expected_maintenance_cost(problem, press, option.option, start / 60.0)
        assert option.charged_cents(start) >= round(exact), start
    # exact on the breakpoints
    for minute, cents in option.steps:
        exact = CENTS * expected_maintenance_cost(problem, press, option.option, minute / 60.0)
        assert cents == round(exact)
    assert option.steps[0][0] == option.earliest


def _rates_rounded_alike() -> PlanningProblem:
    """Two orders on one machine, both due now, so one waits for the other: A (59 min) loses
    0.51 cents a minute late, B (60 min) 1.49. The model rounds both to 1 cent a minute and
    runs the shorter A first; B first costs less (least-slack dispatch finds it)."""
    ops = (
        OpenOperation("A", 0, {"m": 59 / 60}, due_h=0.0, tardiness_cost_per_h=0.306),
        OpenOperation("B", 0, {"m": 1.0}, due_h=0.0, tardiness_cost_per_h=0.894),
    )
    return PlanningProblem(0.0, 8.0, ops, (MachineState(id="m"),), {})


def test_a_plan_dearer_than_dispatch_by_the_exact_cost_gives_way_to_it() -> None:
    problem = _rates_rounded_alike()
    greedy = dispatch_plan(problem)
    assert greedy.op("B", 0).start_h == 0.0  # type: ignore[union-attr]
    plan = Planner(ONE_WORKER).plan(problem)
    assert check_plan(problem, plan) == []
    assert plan.status == "DISPATCH_CHEAPER"
    assert plan.objective == greedy.objective
    assert plan.operations == greedy.operations
