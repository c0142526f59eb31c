"""The predictive policy on the twin: live RUL in, feasible plans out, maintenance carried out."""

from __future__ import annotations

from pathlib import Path

import pytest

from jayul.autopilot.rul_monitor import load_or_train
from jayul.autopilot.setup import pilot_for
from jayul.decide.check import check_plan
from jayul.decide.predictive import Predictive
from jayul.health.rul.fleet import FleetRulModels, FleetRulSettings
from jayul.plant import load_demo_plant
from jayul.twin import Twin


@pytest.fixture(scope="module")
def models() -> FleetRulModels:
    settings = FleetRulSettings(seeds=(1001,), days=120, n_estimators=30, n_folds=2)
    return load_or_train(load_demo_plant(), settings, cache_dir=Path(""))[0]


def test_predictive_plans_are_feasible_and_maintenance_happens(models: FleetRulModels) -> None:
    plant = load_demo_plant()
    twin = Twin(plant, seed=7, signal_period_s=1800)
    policy = Predictive(time_limit_s=0.3)
    pilot = pilot_for(plant, twin, policy, rul_models=models)
    problems = []
    original = policy.planner.plan

    def checked(problem, previous=None):  # type: ignore[no-untyped-def]
        plan = original(problem, previous)
        problems.extend(check_plan(problem, plan))
        return plan

    policy.planner.plan = checked  # type: ignore[method-assign]
    kpis = pilot.run(24 * 75)
    assert policy.replans_ > 10
    assert problems == []
    assert kpis.maintenances > 0
    # every maintenance the policy started came with the planner's reason
    assert pilot.counters.actions_executed >= kpis.maintenances


def test_problem_reads_risk_from_rul(models: FleetRulModels) -> None:
    plant = load_demo_plant()
    twin = Twin(plant, seed=3, signal_period_s=1800)
    policy = Predictive()
    pilot = pilot_for(plant, twin, policy, rul_models=models)
    pilot.run(24 * 50)
    obs = pilot.observe([])
    assert policy.production is not None
    problem = policy.problem(plant, obs, policy.production())
    with_risk = [m for m in problem.machines if m.failure is not None]
    assert with_risk, "after 50 days every machine has a RUL view"
    for m in with_risk:
        assert m.maintenance and all(0.0 <= o.restores <= 1.0 for o in m.maintenance)
        assert m.failure is not None
        assert m.failure.prob_before(problem.end_h) >= m.failure.prob_before(problem.now_h)
    assert problem.validate() == []
