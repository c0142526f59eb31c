"""The approval queue: roles, timeouts, escalation, decisions made from another process."""

from __future__ import annotations

from pathlib import Path

import pytest
from gate_helpers import T0, Recorder, maintenance, setpoint, verified

from jayul.gate import AutonomyLevel, Gate, GateContext, Origins, OutcomeStatus
from jayul.gate.approvals import ApprovalQueue
from jayul.govern.audit import AuditLog
from jayul.govern.db import connect
from jayul.plant.model import Plant
from jayul.records.timebase import NS_PER_H


@pytest.fixture
def l2(gate: Gate) -> Gate:
    gate.autonomy.set_level(AutonomyLevel.L2, "t", T0, "approve everything")
    return gate


def test_nothing_runs_before_approval(l2: Gate, executed: Recorder) -> None:
    out = l2.propose(maintenance(), verified(), T0)
    assert out.status is OutcomeStatus.PENDING and not executed.done
    done = l2.approve(str(out.approval_id), "olga", "operator", T0 + 10)
    assert done.status is OutcomeStatus.EXECUTED and len(executed.done) == 1
    assert l2.approvals.get(str(out.approval_id)).status == "executed"
    kinds = [r.kind for r in l2.audit.records()]
    assert kinds.index("approval_approved") < kinds.index("action_executed")


def test_roles(l2: Gate, executed: Recorder) -> None:
    out = l2.propose(setpoint(1500.0), verified(), T0)
    with pytest.raises(PermissionError):
        l2.approve(str(out.approval_id), "olga", "operator", T0)  # setpoints: engineer only
    assert l2.audit.records(kind="approval_denied")
    assert l2.approve(str(out.approval_id), "erik", "engineer", T0).status == "executed"


def test_reject(l2: Gate, executed: Recorder) -> None:
    out = l2.propose(maintenance(), verified(), T0)
    l2.reject(str(out.approval_id), "olga", "operator", T0, "crew busy")
    assert l2.approvals.get(str(out.approval_id)).status == "rejected"
    with pytest.raises(ValueError, match="not open"):
        l2.approve(str(out.approval_id), "olga", "operator", T0)
    assert not executed.done


def test_timeout_escalates_then_expires_never_executes(l2: Gate, executed: Recorder) -> None:
    out = l2.propose(maintenance(), verified(), T0)
    aid = str(out.approval_id)
    l2.tick(T0 + NS_PER_H - 1)
    assert l2.approvals.get(aid).status == "pending"
    l2.tick(T0 + NS_PER_H)
    item = l2.approvals.get(aid)
    assert item.status == "escalated" and "manager" in item.roles and item.escalations == 1
    l2.tick(T0 + 2 * NS_PER_H)
    assert l2.approvals.get(aid).status == "expired"
    assert not executed.done
    assert l2.counters()["approval_timeouts"] == 2
    assert l2.counters()["approvals_pending"] == 0
    with pytest.raises(ValueError):
        l2.approve(aid, "mia", "manager", T0 + 3 * NS_PER_H)
    assert [r.kind for r in l2.audit.records(kind="approval_escalated")]


def test_escalated_request_can_be_approved_by_the_manager(l2: Gate, executed: Recorder) -> None:
    out = l2.propose(maintenance(), verified(), T0)
    l2.tick(T0 + NS_PER_H)
    assert (
        l2.approve(str(out.approval_id), "mia", "manager", T0 + NS_PER_H + 5).status == "executed"
    )


def test_decision_from_the_command_line_runs_on_next_tick(
    plant: Plant, executed: Recorder, tmp_path: Path
) -> None:
    db = tmp_path / "plant.duckdb"
    origins = Origins()
    origins.register("policy:cbm")
    con = connect(db)
    g = Gate(plant, con, executed, origins, default_level=AutonomyLevel.L2)
    out = g.propose(maintenance(), verified(), T0)
    g.audit.flush()
    con.close()
    # another process (the CLI) records the decision in the same file
    cli_con = connect(db)
    queue = ApprovalQueue(cli_con, AuditLog(cli_con))
    queue.decide(str(out.approval_id), True, "olga", "operator", T0 + 5)
    queue.audit.close()
    cli_con.close()
    con2 = connect(db)
    g2 = Gate(plant, con2, executed, origins, default_level=AutonomyLevel.L2)
    assert not executed.done
    outs = g2.tick(T0 + 10)
    assert [o.status for o in outs] == [OutcomeStatus.EXECUTED] and len(executed.done) == 1
    assert g2.audit.verify().ok
    con2.close()


def test_kill_switch_drops_everything_to_l0(gate: Gate, executed: Recorder) -> None:
    gate.autonomy.set_level(AutonomyLevel.L4, "t", T0, "line2", line="line2")
    pending = gate.propose(maintenance(), verified(uncertainty=0.9), T0)
    gate.kill("erik", T0 + 1, "strange readings on line 1")
    for machine in ("pump1", "pump3"):
        assert gate.propose(maintenance(machine=machine), verified(), T0 + 2).status == "monitored"
    late = gate.approve(str(pending.approval_id), "olga", "operator", T0 + 3)
    assert (late.status, late.check) == (OutcomeStatus.REFUSED, "level")
    assert not executed.done
    with pytest.raises(PermissionError):
        gate.autonomy.clear_kill("olga", "operator", T0 + 4, "looks fine")
    assert gate.autonomy.killed
    gate.autonomy.clear_kill("erik", "engineer", T0 + 5, "sensor fixed")
    assert gate.propose(maintenance(machine="pump3"), verified(), T0 + 6).status == "executed"
    kinds = [r.kind for r in gate.audit.records()]
    assert kinds.count("kill") == 2 and "kill_clear_refused" in kinds


def test_autonomy_settings_persist_in_the_file(plant: Plant, tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    origins = Origins()
    origins.register("policy:cbm")
    con = connect(db)
    g = Gate(plant, con, Recorder(), origins)
    g.autonomy.set_level(AutonomyLevel.L3, "erik", T0, "pilot on line 2", line="line2")
    g.audit.close()
    con.close()
    con = connect(db)
    g = Gate(plant, con, Recorder(), origins)
    assert g.level_for(maintenance(machine="pump3")) == AutonomyLevel.L3
    assert g.level_for(maintenance(machine="pump1")) == AutonomyLevel.L1  # the default
    con.close()


def test_kill_from_another_process_while_the_gate_holds_the_file(
    plant: Plant, tmp_path: Path
) -> None:
    import subprocess
    import sys

    db = tmp_path / "plant.duckdb"
    origins = Origins()
    origins.register("policy:cbm")
    done = Recorder()
    gate = Gate(plant, db, done, origins, default_level=AutonomyLevel.L4)
    assert gate.propose(maintenance(), verified(), T0).status == "executed"
    cmd = [
        sys.executable,
        "-c",
        "from jayul.cli.gate_cmds import gate_app; gate_app()",
        "kill",
        "--by",
        "olga",
        "--reason",
        "smoke",
        "--db",
        str(db),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "held by a running process" in result.stdout
    assert (tmp_path / "plant.duckdb.kill").exists()
    out = gate.propose(maintenance(machine="pump2"), verified(), T0 + 1)
    assert out.status is OutcomeStatus.MONITORED and len(done.done) == 1
    assert not (tmp_path / "plant.duckdb.kill").exists()
    kill = gate.audit.records(kind="kill")[-1]
    assert (kill.actor, kill.reason) == ("olga", "smoke (via kill file)")


def test_an_unreadable_kill_file_still_kills(plant: Plant, tmp_path: Path) -> None:
    origins = Origins()
    origins.register("policy:cbm")
    gate = Gate(plant, tmp_path / "p.duckdb", Recorder(), origins, default_level=AutonomyLevel.L4)
    (tmp_path / "p.duckdb.kill").write_text("not json")
    gate.tick(T0)
    assert gate.autonomy.killed


def test_four_eyes_the_proposer_may_not_approve(l2: Gate, executed: Recorder) -> None:
    erik = GateContext(proposer="user:erik", verdict=True)
    out = l2.propose(setpoint(1500.0, origin="model:capped"), erik, T0)
    item = l2.approvals.get(str(out.approval_id))
    assert item.proposed_by == "user:erik" and item.level is AutonomyLevel.L2
    with pytest.raises(PermissionError, match="four-eyes"):
        l2.approve(str(out.approval_id), "erik", "engineer", T0)
    denied = l2.audit.records(kind="approval_denied")[-1]
    assert "four eyes" in denied.reason and denied.actor == "erik"
    assert not executed.done
    # the proposer may still withdraw (reject) it; another engineer may approve it
    assert l2.approve(str(out.approval_id), "ines", "engineer", T0).status == "executed"
    approved = l2.audit.records(kind="approval_approved")[-1]
    assert approved.data()["proposed_by"] == "user:erik"


def test_four_eyes_configurable_per_action_class_and_level(
    plant: Plant, executed: Recorder
) -> None:
    from jayul.gate import FourEyes
    from jayul.records.events import ActionKind

    origins = Origins()
    origins.register("policy:cbm", proposers=frozenset({"autopilot", "user:olga"}))
    rule = FourEyes(kinds=frozenset({ActionKind.CHANGE_SETPOINT}))
    g = Gate(plant, ":memory:", executed, origins, four_eyes=rule)
    g.autonomy.set_level(AutonomyLevel.L2, "t", T0, "approve everything")
    out = g.propose(maintenance(), GateContext(proposer="user:olga", verdict=True), T0)
    # maintenance is outside the rule here: the proposer may approve it
    assert g.approve(str(out.approval_id), "olga", "operator", T0).status == "executed"
    rule = FourEyes(levels=frozenset({AutonomyLevel.L3, AutonomyLevel.L4}))
    g.approvals.four_eyes = rule
    out = g.propose(maintenance(), GateContext(proposer="user:olga", verdict=True), T0 + 1)
    assert g.approve(str(out.approval_id), "olga", "operator", T0 + 1).status == "executed"


def test_four_eyes_from_the_plant_file(plant: Plant, executed: Recorder) -> None:
    from jayul.plant.model import FourEyesRule

    origins = Origins()
    origins.register("policy:cbm", proposers=frozenset({"user:olga"}))
    rule = FourEyesRule.model_validate({"kinds": ["change_setpoint"], "levels": ["L2", 3]})
    assert rule.levels == [AutonomyLevel.L2, AutonomyLevel.L3]
    g = Gate(plant.model_copy(update={"four_eyes": rule}), ":memory:", executed, origins)
    g.autonomy.set_level(AutonomyLevel.L2, "t", T0, "approve everything")
    out = g.propose(maintenance(), GateContext(proposer="user:olga", verdict=True), T0)
    assert g.approve(str(out.approval_id), "olga", "operator", T0).status == "executed"
    default = Gate(plant, ":memory:", executed, origins)  # the demo plant: everywhere
    default.autonomy.set_level(AutonomyLevel.L2, "t", T0, "approve everything")
    out = default.propose(maintenance(), GateContext(proposer="user:olga", verdict=True), T0)
    with pytest.raises(PermissionError, match="four-eyes"):
        default.approve(str(out.approval_id), "olga", "operator", T0)
    with pytest.raises(ValueError, match="autonomy level"):
        FourEyesRule.model_validate({"levels": ["L9"]})
