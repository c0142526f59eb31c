"""Each check of the gate in isolation, and their order."""

from __future__ import annotations

import math

from gate_helpers import T0, Recorder, critical_stop, maintenance, setpoint, verified

from jayul.gate import AutonomyLevel, Gate, GateContext, OutcomeStatus
from jayul.records.events import ActionKind, RiskClass


def test_valid_verified_action_executes_at_l4(gate: Gate, executed: Recorder) -> None:
    out = gate.propose(setpoint(1600.0), verified(), T0)
    assert out.status is OutcomeStatus.EXECUTED and len(executed.done) == 1
    assert gate.current_value("pump1", "speed_rpm") == 1600.0  # next step measured from here


def test_interlock_refuses_and_runs_before_everything(gate: Gate, executed: Recorder) -> None:
    # a forged origin, a rejecting verdict and a bad value at once: the interlock speaks first
    ctx = GateContext(proposer="mallory", verdict=False)
    out = gate.propose(setpoint(5000.0, origin="policy:fake"), ctx, T0)
    assert (out.status, out.check) == (OutcomeStatus.REFUSED, "interlock")
    assert not executed.done


def test_interlock_cannot_be_bypassed_by_level_or_approval(gate: Gate, executed: Recorder) -> None:
    gate.autonomy.set_level(AutonomyLevel.L2, "t", T0, "approve everything")
    first = gate.propose(setpoint(1600.0), verified(), T0)
    assert first.status is OutcomeStatus.PENDING and first.approval_id
    # the setpoint moves elsewhere before the person approves (by hand on the machine): the
    # step is now too large
    moved = {("pump1", "speed_rpm"): 1300.0}
    gate._current_fn = lambda machine, name: moved[(machine, name)]
    late = gate.approve(first.approval_id, "ann", "engineer", T0 + 2)
    assert (late.status, late.check) == (OutcomeStatus.REFUSED, "interlock")
    assert not executed.done
    assert gate.approvals.get(first.approval_id).status == "refused"


def test_origin_check(gate: Gate) -> None:
    unknown = gate.propose(setpoint(1500.0, origin="policy:fake"), verified(), T0)
    assert (unknown.status, unknown.check) == (OutcomeStatus.REFUSED, "origin")
    impostor = gate.propose(setpoint(1500.0), GateContext("mallory", verdict=True), T0)
    assert (impostor.status, impostor.check) == (OutcomeStatus.REFUSED, "origin")


def test_origin_cap_limits_the_level(gate: Gate) -> None:
    out = gate.propose(setpoint(1500.0, origin="model:capped"), verified(), T0)
    assert out.status is OutcomeStatus.PENDING and out.level == AutonomyLevel.L2


def test_rate_limit_per_machine(gate: Gate) -> None:
    gate.rate.max_actions = 3
    outs = [gate.propose(maintenance(), verified(), T0 + i) for i in range(5)]
    assert [o.check for o in outs[3:]] == ["rate_limit", "rate_limit"]
    other = gate.propose(maintenance(machine="pump2"), verified(), T0)
    assert other.status is OutcomeStatus.EXECUTED  # other machines unaffected
    later = gate.propose(maintenance(), verified(), T0 + gate.rate.window_ns + 10)
    assert later.status is OutcomeStatus.EXECUTED  # the window slides


def test_verifier_verdict(gate: Gate, executed: Recorder) -> None:
    rejected = gate.propose(maintenance(), GateContext("autopilot", False, "tardiness +40%"), T0)
    assert (rejected.status, rejected.check) == (OutcomeStatus.REFUSED, "verdict")
    assert "tardiness" in rejected.reason
    unverified = gate.propose(maintenance(), GateContext("autopilot"), T0)
    assert unverified.status is OutcomeStatus.PENDING
    assert "not verified on the twin" in unverified.exceptions
    assert not executed.done


def test_agreement_for_critical_actions(gate: Gate) -> None:
    agree = {"detector": True, "rul": True, "twin": True}
    ok = gate.propose(critical_stop(), verified(agreement=agree), T0)
    assert ok.status is OutcomeStatus.EXECUTED
    split = gate.propose(critical_stop("cnc2"), verified(agreement={**agree, "rul": False}), T0)
    assert split.status is OutcomeStatus.PENDING and "disagree: rul" in split.reason
    alone = gate.propose(critical_stop("cnc3"), verified(agreement={"detector": True}), T0)
    assert alone.status is OutcomeStatus.PENDING and "needs 2" in alone.reason
    # a non-critical action needs no agreement
    assert gate.propose(maintenance(), verified(), T0).status is OutcomeStatus.EXECUTED


def test_uncertainty(gate: Gate) -> None:
    assert gate.propose(maintenance(), verified(uncertainty=0.2), T0).status == "executed"
    high = gate.propose(maintenance(), verified(uncertainty=0.9), T0)
    assert high.status is OutcomeStatus.PENDING and "uncertainty" in high.reason
    nan = gate.propose(maintenance(machine="pump2"), verified(uncertainty=math.nan), T0)
    assert nan.status is OutcomeStatus.PENDING


def test_levels(gate: Gate, executed: Recorder) -> None:
    expected = {
        AutonomyLevel.L0: OutcomeStatus.MONITORED,
        AutonomyLevel.L1: OutcomeStatus.ADVISED,
        AutonomyLevel.L2: OutcomeStatus.PENDING,
        AutonomyLevel.L3: OutcomeStatus.EXECUTED,
        AutonomyLevel.L4: OutcomeStatus.EXECUTED,
    }
    # a machine of its own for each level from L2 on: the L2 request stays pending, and more
    # maintenance on its machine would be a duplicate
    for (level, status), machine in zip(
        expected.items(), ("pump1", "pump1", "pump2", "pump3", "pump4"), strict=True
    ):
        gate.autonomy.set_level(level, "t", T0, "sweep")
        out = gate.propose(maintenance(machine=machine), verified(), T0)
        assert out.status is status, level
    assert len(executed.done) == 2


def test_l3_sends_critical_risk_to_a_person_l4_does_not(gate: Gate) -> None:
    agree = {"detector": True, "rul": True}
    gate.autonomy.set_level(AutonomyLevel.L3, "t", T0, "supervised")
    assert gate.propose(critical_stop(), verified(agreement=agree), T0).status == "pending"
    gate.autonomy.set_level(AutonomyLevel.L4, "t", T0, "autonomous")
    assert gate.propose(critical_stop("cnc2"), verified(agreement=agree), T0).status == "executed"


def test_line_and_class_overrides(gate: Gate) -> None:
    gate.autonomy.set_level(AutonomyLevel.L1, "t", T0, "plant advises")
    gate.autonomy.set_level(AutonomyLevel.L4, "t", T0, "line2 trusted", line="line2")
    gate.autonomy.set_level(
        AutonomyLevel.L2, "t", T0, "setpoints need approval", kind=ActionKind.CHANGE_SETPOINT
    )
    assert gate.level_for(maintenance(machine="pump1")) == AutonomyLevel.L1
    assert gate.level_for(maintenance(machine="pump3")) == AutonomyLevel.L4
    assert gate.level_for(setpoint(1500.0, machine="pump3")) == AutonomyLevel.L2
    gate.autonomy.set_level(
        AutonomyLevel.L3, "t", T0, "most specific", line="line2", kind=ActionKind.CHANGE_SETPOINT
    )
    assert gate.level_for(setpoint(1500.0, machine="pump3")) == AutonomyLevel.L3


def test_executor_failure_is_recorded(plant, executed) -> None:  # type: ignore[no-untyped-def]
    from jayul.gate import Origins

    def broken(action: object) -> None:
        raise ConnectionError("PLC unreachable")

    origins = Origins()
    origins.register("policy:cbm")
    g = Gate(plant, ":memory:", broken, origins, default_level=AutonomyLevel.L4)
    out = g.propose(maintenance(), verified(), T0)
    assert out.status is OutcomeStatus.FAILED and "PLC unreachable" in out.reason


def test_malformed_raw_input_is_refused_and_audited(gate: Gate) -> None:
    out = gate.propose_raw({"machine": "pump1", "kind": "launch_missiles"}, verified(), T0)
    assert (out.status, out.check) == (OutcomeStatus.REFUSED, "schema")
    assert gate.audit.records(kind="action_refused")[-1].reason.startswith("malformed")


def test_every_outcome_is_audited_with_its_reason(gate: Gate) -> None:
    outs = [
        gate.propose(setpoint(9999.0), verified(), T0),
        gate.propose(maintenance(), GateContext("autopilot", False, "worse"), T0),
        gate.propose(maintenance(), verified(), T0),
        gate.propose(maintenance(risk=RiskClass.HIGH), GateContext("autopilot"), T0),
    ]
    every = [r.kind for r in gate.audit.records() if r.kind.startswith("action_")]
    # the executed one was put on record (committed) before it reached the plant
    assert every.index("action_dispatched") == every.index("action_executed") - 1
    recs = [r for r in gate.audit.records() if r.kind.startswith("action_")]
    recs = [r for r in recs if r.kind != "action_dispatched"]
    assert [r.kind for r in recs] == [f"action_{o.status.value}" for o in outs]
    assert all(r.reason for r in recs)
    assert recs[0].data()["check"] == "interlock"
    assert gate.audit.verify().ok
    c = gate.counters()
    assert (c["actions_executed"], c["actions_refused"], c["approvals_pending"]) == (1, 2, 1)
    assert c["escalations"] == 1
    # the same decisions, newest last, for a run's summary, with the verifier's reason
    recent = list(gate.recent)
    assert [d.outcome for d in recent] == outs
    assert [d.verdict_reason for d in recent[1:3]] == ["worse", ""]


def test_a_plant_that_declines_is_recorded_as_failed(plant, executed) -> None:  # type: ignore[no-untyped-def]
    from jayul.gate import Origins

    origins = Origins()
    origins.register("policy:cbm")
    g = Gate(plant, ":memory:", lambda action: False, origins, default_level=AutonomyLevel.L4)
    out = g.propose(maintenance(), verified(), T0)
    assert out.status is OutcomeStatus.FAILED and "declined" in out.reason
