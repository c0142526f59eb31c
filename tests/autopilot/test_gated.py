"""The autopilot behind the gate: at L2 no maintenance runs before a person approves; at L3
the verifier's accepted actions run alone; every outcome is in the audit trail."""

from __future__ import annotations

from jayul.autopilot.setup import Assembly, assemble
from jayul.decide.baselines import Preventive
from jayul.gate import AutonomyLevel, Gate
from jayul.plant import load_demo_plant
from jayul.twin import Twin
from jayul.verify import Verifier


def _run(level: AutonomyLevel, hours: float = 24 * 3) -> tuple[Twin, Gate]:
    plant = load_demo_plant()
    twin = Twin(plant, seed=0, signal_period_s=1800)
    twin.run_until(24 * 40)  # worn machines, so maintenance is worth it
    assembly: Assembly = assemble(
        plant, twin, "preventive", None, ":memory:", level, Verifier(futures=2)
    )
    # every failure mode due at once, so the gate has work at every level
    due = {(t, f.id): 1.0 for t, mt in plant.machine_types.items() for f in mt.failure_modes}
    assembly.pilot.policy = Preventive(due)
    assembly.pilot.run(hours)
    assert assembly.gate is not None
    return twin, assembly.gate


def test_l2_nothing_runs_before_approval() -> None:
    twin, gate = _run(AutonomyLevel.L2)
    counts = gate.counters()
    assert twin.ledger.maintenances == 0
    assert counts["actions_executed"] == 0 and counts["approvals_pending"] > 0
    now = twin.time_ns()
    item = next(
        p
        for p in gate.approvals.requests(("pending",))
        if twin.machines[p.action.machine].status.value != "down"
    )
    out = gate.approve(item.id, "olga", "operator", now)
    assert out.status.value == "executed"
    assert item.action.params["action"] in twin.machines[item.action.machine].pending_maintenance


def test_l3_verified_actions_run_alone_and_are_audited() -> None:
    twin, gate = _run(AutonomyLevel.L3)
    counts = gate.counters()
    assert counts["actions_executed"] > 0
    assert twin.ledger.maintenances > 0
    executed = gate.audit.records(kind="action_executed")
    assert len(executed) == counts["actions_executed"]
    assert gate.audit.verify().ok


def test_kill_switch_during_a_run_stops_every_action() -> None:
    plant = load_demo_plant()
    twin = Twin(plant, seed=0, signal_period_s=1800)
    twin.run_until(24 * 40)
    assembly = assemble(plant, twin, "preventive", None, ":memory:", AutonomyLevel.L4)
    due = {(t, f.id): 1.0 for t, mt in plant.machine_types.items() for f in mt.failure_modes}
    assembly.pilot.policy = Preventive(due)
    gate = assembly.gate
    assert gate is not None
    assembly.pilot.run(24)
    before = gate.counters()["actions_executed"]
    assert before > 0
    kill_time = twin.time_ns()
    gate.kill("olga", kill_time, "smoke in hall 2")
    maintenances = twin.ledger.maintenances + sum(
        len(m.pending_maintenance) for m in twin.machines.values()
    )
    assembly.pilot.repropose_after_h = 0.0  # keep proposing: the kill must hold every time
    assembly.pilot.run(48)
    after = gate.counters()
    assert after["actions_executed"] == before
    assert after["actions_monitored"] > 0  # proposals recorded at L0, not carried out
    started_after_kill = twin.ledger.maintenances + sum(
        len(m.pending_maintenance) for m in twin.machines.values()
    )
    assert started_after_kill <= maintenances  # nothing new was started
    assert [r for r in gate.audit.records(kind="kill")]
    verdicts = [r for r in gate.audit.records(kind="verdict") if r.time > kill_time]
    assert not verdicts  # no forked-twin trials while nothing may run
