"""Input types: the RUL CDF helpers, validation, and the rolling-horizon `advance`."""

from __future__ import annotations

import pytest

from jayul.bench.jsp.rolling import advance
from jayul.bench.jsp.synthetic import weibull_risk
from jayul.decide import (
    FailureRisk,
    MachineState,
    OpenOperation,
    Plan,
    PlanningProblem,
    ScheduledOp,
)


def test_failure_risk_interpolates_and_clamps() -> None:
    risk = FailureRisk(((10.0, 0.0), (20.0, 0.5), (30.0, 0.9)))
    assert risk.prob_before(5.0) == 0.0
    assert risk.prob_before(15.0) == pytest.approx(0.25)
    assert risk.prob_before(40.0) == 0.9
    with pytest.raises(ValueError, match="ascending"):
        FailureRisk(((0.0, 0.5), (1.0, 0.2)))


def test_failure_risk_from_samples_and_weibull() -> None:
    risk = FailureRisk.from_rul_samples(100.0, [5.0, 10.0, 10.0, 20.0, 40.0])
    probs = [risk.prob_before(100.0 + t) for t in range(0, 50, 5)]
    assert probs == sorted(probs) and probs[-1] == 1.0 and probs[0] == 0.0
    young = weibull_risk(0.0, 10.0, 2.5, 500.0, 48.0)
    old = weibull_risk(0.0, 600.0, 2.5, 500.0, 48.0)
    assert young.prob_before(48.0) < old.prob_before(48.0) < 1.0


def test_validate_names_the_problem() -> None:
    bad = PlanningProblem(0.0, 8.0, (OpenOperation("o", 0, {"ghost": 1.0}),), (MachineState("m"),))
    assert any("ghost" in p for p in bad.validate())


def test_advance_keeps_running_work_and_chains_successors() -> None:
    ops = (OpenOperation("o", 0, {"m": 3.0}), OpenOperation("o", 1, {"m": 1.0, "n": 1.0}))
    problem = PlanningProblem(0.0, 8.0, ops, (MachineState("m"), MachineState("n")))
    plan = Plan(
        (ScheduledOp("o", 0, "m", 0.0, 3.0), ScheduledOp("o", 1, "n", 3.0, 4.0)), (), 0.0, "T", 0.0
    )
    later = advance(problem, plan, 1.0)
    assert [(o.order_id, o.index) for o in later.operations] == [("o", 1)]
    assert later.operations[0].release_h == 3.0  # waits for its running predecessor
    assert later.machine("m").available_from_h == 3.0
    assert later.now_h == 1.0 and later.horizon_h == 8.0
    failed = advance(problem, plan, 1.0, failed={"m": 2.0})
    assert [(o.order_id, o.index) for o in failed.operations] == [("o", 0), ("o", 1)]
    assert failed.machine("m").available_from_h == 3.0
