"""The predictive policy on the twin: live RUL in, feasible plans out, maintenance carried out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from jayul.autopilot import Autopilot
from jayul.autopilot.rul_monitor import load_or_train
from jayul.autopilot.setup import pilot_for
from jayul.bench.jsp.check import check_plan
from jayul.decide.policy import MachineView, Observation, RulView
from jayul.decide.predictive import Predictive
from jayul.decide.production import ProductionView
from jayul.health.rul.fleet import FleetRulSettings
from jayul.plant import load_demo_plant
from jayul.records import MachineState
from jayul.twin import Twin


@pytest.fixture(scope="module")
def run() -> dict[str, Any]:
    plant = load_demo_plant()
    settings = FleetRulSettings(seeds=(1001,), days=120, n_estimators=30, n_folds=2)
    models = load_or_train(plant, settings, cache_dir=Path(""))[0]
    twin = Twin(plant, seed=7, signal_period_s=3600)
    policy = Predictive(time_limit_s=0.2, replan_every_h=24)
    pilot = pilot_for(plant, twin, policy, rul_models=models)
    problems: list[str] = []
    original = policy.planner.plan

    def checked(problem, previous=None):  # type: ignore[no-untyped-def]
        plan = original(problem, previous)
        problems.extend(check_plan(problem, plan))  # an independent feasibility check
        return plan

    policy.planner.plan = checked  # type: ignore[method-assign]
    kpis = pilot.run(24 * 60)
    return {"plant": plant, "policy": policy, "pilot": pilot, "kpis": kpis, "problems": problems}


def test_plans_are_feasible_and_maintenance_happens(run: dict[str, Any]) -> None:
    policy: Predictive = run["policy"]
    assert policy.replans_ > 10
    assert run["problems"] == []
    assert run["kpis"].maintenances > 0
    pilot: Autopilot = run["pilot"]
    assert pilot.counters.actions_executed >= run["kpis"].maintenances


def test_problem_reads_risk_from_rul(run: dict[str, Any]) -> None:
    policy: Predictive = run["policy"]
    pilot: Autopilot = run["pilot"]
    obs = pilot.observe([])
    assert obs.production is not None and obs.plan is policy.plan_  # the plan in force
    problem = policy.problem(run["plant"], obs, obs.production)
    with_risk = [m for m in problem.machines if m.failure is not None]
    assert with_risk, "after 60 days the machines have RUL views"
    for m in with_risk:
        assert m.maintenance and all(0.0 <= o.restores <= 1.0 for o in m.maintenance)
        assert m.failure is not None
        assert m.failure.prob_before(problem.end_h) >= m.failure.prob_before(problem.now_h)
    assert problem.validate() == []


def test_safety_net_lets_the_alarm_maintain_a_machine_the_rul_calls_healthy() -> None:
    plant = load_demo_plant()
    healthy = RulView(levels=(0.1, 0.5, 0.9), hours=(500.0, 800.0, 1200.0))
    views = {
        m.id: MachineView(
            id=m.id,
            type=m.type,
            status=MachineState.IDLE,
            run_hours_since={},
            pending_maintenance=(),
            indicator=2.0 if m.id == "pump1" else 0.1,
            suspect_mode="bearing_wear" if m.id == "pump1" else None,
            rul={f.id: healthy for f in plant.machine_types[m.type].failure_modes},
        )
        for m in plant.machines
    }
    obs = Observation(now_ns=0, now_h=0.0, machines=views)
    plain = Predictive(fallback_threshold=1.3).decide(plant, obs)
    netted = Predictive(fallback_threshold=1.3, safety_threshold=1.5).decide(plant, obs)
    high = Predictive(fallback_threshold=1.3, safety_threshold=2.5).decide(plant, obs)
    assert plain == []  # no production view, no plan: the RUL-watched pump is left alone
    assert [(a.machine, a.params["action"]) for a in netted] == [("pump1", "bearing_service")]
    assert high == []  # under the net's threshold
    # a refused proposal is not repeated every tick: once per re-plan period while the alarm
    # lasts, and at once when the machine has taken up a maintenance meanwhile
    policy = Predictive(fallback_threshold=1.3, safety_threshold=1.5, replan_every_h=12.0)
    at = {h: Observation(now_ns=int(h * 3.6e12), now_h=h, machines=views) for h in (0, 1, 13)}
    assert [a.machine for a in policy.decide(plant, at[0])] == ["pump1"]
    assert policy.decide(plant, at[1]) == []
    assert [a.machine for a in policy.decide(plant, at[13])] == ["pump1"]
    busy = dict(views, pump1=replace(views["pump1"], pending_maintenance=("bearing_service",)))
    policy.decide(plant, Observation(now_ns=0, now_h=14.0, machines=busy))
    assert [a.machine for a in policy.decide(plant, Observation(0, 15.0, views))] == ["pump1"]


def _pump(suspect: str | None, hours: dict[str, float], p50: dict[str, float]) -> MachineView:
    return MachineView(
        id="pump1",
        type="pump",
        status=MachineState.RUNNING,
        run_hours_since=hours,
        pending_maintenance=(),
        indicator=3.0,
        suspect_mode=suspect,
        rul={m: RulView((0.1, 0.5, 0.9), (h / 2, h, h * 2)) for m, h in p50.items()},
    )


def test_the_alarm_goes_to_the_suspect_unless_it_was_just_restored() -> None:
    plant = load_demo_plant()
    policy = Predictive(safety_threshold=2.0, fresh_h=150.0)
    p50 = {"bearing_wear": 400.0, "impeller_wear": 300.0}
    # an aged suspect: trusted even though the RUL finds the other mode riskier
    aged = _pump("bearing_wear", {"bearing_wear": 900.0, "impeller_wear": 900.0}, p50)
    assert policy.alarmed_mode(plant, aged) == "bearing_wear"
    # the suspect was restored 40 h ago: the signals must show the other mode
    fresh = _pump("bearing_wear", {"bearing_wear": 40.0, "impeller_wear": 900.0}, p50)
    assert policy.alarmed_mode(plant, fresh) == "impeller_wear"
    # no suspect: the mode the RUL finds oldest
    p50_bearing_worse = {"bearing_wear": 100.0, "impeller_wear": 300.0}
    none = _pump(None, {"bearing_wear": 900.0, "impeller_wear": 900.0}, p50_bearing_worse)
    assert policy.alarmed_mode(plant, none) == "bearing_wear"
    # every mode just restored: nothing to maintain
    both = _pump("bearing_wear", {"bearing_wear": 10.0, "impeller_wear": 10.0}, p50)
    assert policy.alarmed_mode(plant, both) is None
    obs = Observation(now_ns=0, now_h=0.0, machines={"pump1": fresh})
    actions = policy.decide(plant, obs)
    assert [(a.machine, a.params["action"]) for a in actions] == [("pump1", "overhaul")]
    assert "impeller_wear" in actions[0].expected_effect


def test_the_alarm_shortens_the_named_modes_rul_in_the_planners_risk() -> None:
    plant = load_demo_plant()
    policy = Predictive(alarm_threshold=1.5, alarm_rul_scale=0.25)
    hours = {"bearing_wear": 900.0, "impeller_wear": 900.0}
    p50 = {"bearing_wear": 200.0, "impeller_wear": 400.0}
    alarmed = _pump("bearing_wear", hours, p50)  # indicator 3.0
    rul = policy.corrected_rul(plant, alarmed)
    assert rul["bearing_wear"].p50 == pytest.approx(50.0)  # the alarmed mode, scaled
    assert rul["impeller_wear"].p50 == pytest.approx(400.0)  # the other mode, as predicted
    quiet = replace(alarmed, indicator=1.0)
    assert policy.corrected_rul(plant, quiet)["bearing_wear"].p50 == pytest.approx(200.0)
    off = Predictive()  # no alarm threshold: the RUL as the model gives it
    assert off.corrected_rul(plant, alarmed)["bearing_wear"].p50 == pytest.approx(200.0)
    # the corrected risk is what the planner weighs: far more likely to fail in its horizon
    scaled, _ = policy._risk(rul, 0.0)
    plain, _ = off._risk(alarmed.rul or {}, 0.0)
    assert scaled is not None and plain is not None
    assert scaled.prob_before(72.0) > plain.prob_before(72.0) + 0.2


def test_a_plant_without_crews_plans_maintenance_with_no_crew_limit() -> None:
    """Real equipment often has no `crews:` section: the planner must not read that as no crew
    at all (every maintenance unplannable) but as crews nobody limited."""
    plant = load_demo_plant().model_copy(update={"crews": {}})
    worn = RulView(levels=(0.1, 0.5, 0.9), hours=(2.0, 6.0, 20.0))
    views = {
        m.id: MachineView(
            id=m.id,
            type=m.type,
            status=MachineState.RUNNING,
            run_hours_since={f.id: 5000.0 for f in plant.machine_types[m.type].failure_modes},
            pending_maintenance=(),
            indicator=0.5,
            suspect_mode=None,
            rul={f.id: worn for f in plant.machine_types[m.type].failure_modes},
        )
        for m in plant.machines
    }
    production = ProductionView((), dict.fromkeys(views, 0.0), plant.crew_capacity(), 0.0)
    obs = Observation(now_ns=0, now_h=0.0, machines=views, production=production)
    policy = Predictive(time_limit_s=0.5)
    problem = policy.problem(plant, obs, production)
    assert problem.validate() == []
    assert policy.decide(plant, obs), "worn machines and free crews: maintenance is planned"
