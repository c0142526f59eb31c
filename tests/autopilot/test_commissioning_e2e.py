"""End to end: a risky maintenance proposal is rejected by the verifier, a good one is
approved by a person and carried out in the twin; both are in the audit trail."""

from __future__ import annotations

from jayul.autopilot.setup import assemble
from jayul.gate import AutonomyLevel
from jayul.plant import load_demo_plant
from jayul.records import Action, ActionKind
from jayul.twin import Twin
from jayul.verify import Verifier


def test_risky_rejected_good_approved_and_carried_out() -> None:
    plant = load_demo_plant()
    twin = Twin(plant, seed=3, signals=False)
    twin.run_until(24 * 40)
    assembly = assemble(
        plant, twin, "condition", None, ":memory:", AutonomyLevel.L2, Verifier(futures=4)
    )
    gate = assembly.gate
    pilot = assembly.pilot
    assert gate is not None
    worn_machine, worn_mode = max(
        ((m.id, k) for m in twin.machines.values() for k in m.health),
        key=lambda p: twin.machines[p[0]].health[p[1]],
    )
    fresh_machine, fresh_mode = min(
        ((m.id, k) for m in twin.machines.values() for k in m.health),
        key=lambda p: twin.machines[p[0]].health[p[1]],
    )

    def proposal(machine: str, mode: str) -> Action:
        action = next(a for a in plant.machine_type(machine).maintenance if mode in a.restores)
        return Action(
            time=twin.time_ns(),
            machine=machine,
            kind=ActionKind.START_MAINTENANCE,
            params={"action": action.id},
            origin="condition",
        )

    # a needless stop of a fresh machine: the verifier says no, the gate refuses
    assert not pilot.propose(proposal(fresh_machine, fresh_mode))
    refused = gate.audit.records(kind="action_refused")
    assert refused and "verifier rejected" in refused[-1].reason
    # the worn machine's maintenance: accepted by the verifier, waits for a person at L2
    good = proposal(worn_machine, worn_mode)
    assert not pilot.propose(good)
    pending = gate.approvals.requests(("pending",))
    assert [p.action.id for p in pending] == [good.id]
    out = gate.approve(pending[0].id, "olga", "operator", twin.time_ns(), "seen the alert")
    assert out.status.value == "executed"
    before = twin.ledger.maintenances
    twin.run_until(twin.now_h + 24)
    assert twin.ledger.maintenances == before + 1
    assert twin.machines[worn_machine].health[worn_mode] < 0.2
    kinds = [r.kind for r in gate.audit.records()]
    assert "action_refused" in kinds and "action_executed" in kinds
    assert kinds.count("verdict") == 2  # both verdicts, with their reasons
    assert gate.audit.verify().ok
