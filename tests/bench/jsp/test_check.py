"""The independent checker catches each kind of violation."""

from __future__ import annotations

from dataclasses import replace

from jayul.bench.jsp.check import check_plan
from jayul.decide import (
    MachineState,
    MaintenanceOption,
    OpenOperation,
    Plan,
    PlanningProblem,
    ScheduledMaintenance,
    ScheduledOp,
)


def _problem() -> PlanningProblem:
    opt = MaintenanceOption("service", 1.0, "mech", cost=10.0)
    machines = (MachineState("m1", maintenance=(opt,)), MachineState("m2", maintenance=(opt,)))
    ops = (
        OpenOperation("o", 0, {"m1": 2.0}),
        OpenOperation("o", 1, {"m1": 1.0, "m2": 1.5}),
    )
    return PlanningProblem(0.0, 10.0, ops, machines, {"mech": 1})


def _plan(ops: list[ScheduledOp], maint: list[ScheduledMaintenance]) -> Plan:
    return Plan(tuple(ops), tuple(maint), 0.0, "TEST", 0.0)


GOOD_OPS = [ScheduledOp("o", 0, "m1", 0.0, 2.0), ScheduledOp("o", 1, "m2", 2.0, 3.5)]


def test_a_feasible_plan_passes() -> None:
    maint = [ScheduledMaintenance("m1", "service", 2.0, 3.0, "mech")]
    assert check_plan(_problem(), _plan(GOOD_OPS, maint)) == []


def test_violations_are_reported() -> None:
    p = _problem()
    cases = {
        "precedence": [GOOD_OPS[0], ScheduledOp("o", 1, "m2", 1.0, 2.5)],
        "ineligible": [GOOD_OPS[0], ScheduledOp("o", 1, "m3", 2.0, 3.0)],
        "duration": [ScheduledOp("o", 0, "m1", 0.0, 1.0), GOOD_OPS[1]],
        "missing": [GOOD_OPS[0]],
    }
    expected = {
        "precedence": "before op 0 ends",
        "ineligible": "ineligible",
        "duration": "lasts",
        "missing": "not scheduled",
    }
    for name, ops in cases.items():
        assert any(expected[name] in v for v in check_plan(p, _plan(ops, []))), name


def test_overlap_crew_and_maintain_by() -> None:
    p = _problem()
    overlap = [ScheduledMaintenance("m1", "service", 1.0, 2.0, "mech")]
    assert any("overlaps" in v for v in check_plan(p, _plan(GOOD_OPS, overlap)))
    two_at_once = [
        ScheduledMaintenance("m1", "service", 4.0, 5.0, "mech"),
        ScheduledMaintenance("m2", "service", 4.5, 5.5, "mech"),
    ]
    assert any("crew mech" in v for v in check_plan(p, _plan(GOOD_OPS, two_at_once)))
    back_to_back = [
        ScheduledMaintenance("m1", "service", 4.0, 5.0, "mech"),
        ScheduledMaintenance("m2", "service", 5.0, 6.0, "mech"),
    ]
    assert check_plan(p, _plan(GOOD_OPS, back_to_back)) == []
    strict = replace(p, machines=(replace(p.machines[0], maintain_by_h=3.0), p.machines[1]))
    late = [ScheduledMaintenance("m1", "service", 4.0, 5.0, "mech")]
    assert any("maintain-by" in v for v in check_plan(strict, _plan(GOOD_OPS, late)))
    assert any("must be maintained" in v for v in check_plan(strict, _plan(GOOD_OPS, [])))
