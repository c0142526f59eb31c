"""The gate in front of the demo twin: L2 runs nothing before approval, L3 asks only on
exceptions."""

from __future__ import annotations

from gate_helpers import maintenance

from jayul.autopilot.executor import TwinExecutor
from jayul.gate import AutonomyLevel, Gate, GateContext, Origins, OutcomeStatus
from jayul.plant.model import Plant
from jayul.records.events import EventKind
from jayul.twin import Twin

PUMPS = ("pump1", "pump2", "pump3", "pump4")


def gate_on_twin(plant: Plant, level: AutonomyLevel) -> tuple[Gate, Twin]:
    twin = Twin(plant, seed=1, signals=False)
    origins = Origins()
    origins.register("policy:cbm", proposers=frozenset({"autopilot"}))
    gate = Gate(plant, ":memory:", TwinExecutor(twin).execute, origins, default_level=level)
    return gate, twin


def maintenance_started(twin: Twin) -> set[str]:
    return {e.machine or "" for e in twin.drain_events() if e.kind is EventKind.MAINTENANCE_START}


def test_l2_no_maintenance_runs_before_approval(plant: Plant) -> None:
    gate, twin = gate_on_twin(plant, AutonomyLevel.L2)
    twin.run_until(2.0)
    twin.drain_events()
    ctx = GateContext("autopilot", verdict=True)
    outs = {m: gate.propose(maintenance(machine=m), ctx, twin.time_ns()) for m in PUMPS}
    assert all(o.status is OutcomeStatus.PENDING for o in outs.values())
    twin.run_until(30.0)
    assert maintenance_started(twin) == set()
    gate.approve(str(outs["pump3"].approval_id), "olga", "operator", twin.time_ns())
    twin.run_until(60.0)
    assert maintenance_started(twin) == {"pump3"}
    assert gate.counters()["approvals_pending"] == 3


def test_l3_only_exceptions_reach_a_person(plant: Plant) -> None:
    gate, twin = gate_on_twin(plant, AutonomyLevel.L3)
    twin.run_until(2.0)
    twin.drain_events()
    now = twin.time_ns()
    routine = gate.propose(maintenance(machine="pump1"), GateContext("autopilot", True), now)
    unsure = gate.propose(
        maintenance(machine="pump2"), GateContext("autopilot", True, uncertainty=0.9), now
    )
    unverified = gate.propose(maintenance(machine="pump3"), GateContext("autopilot"), now)
    assert routine.status is OutcomeStatus.EXECUTED
    assert unsure.status is unverified.status is OutcomeStatus.PENDING
    twin.run_until(40.0)
    assert maintenance_started(twin) == {"pump1"}
    c = gate.counters()
    assert (c["actions_executed"], c["escalations"], c["approvals_pending"]) == (1, 2, 2)
