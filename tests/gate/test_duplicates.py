"""The gate refuses a proposal for work its machine already has waiting or under way."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from gate_helpers import T0, Recorder, maintenance, setpoint, verified

from jayul.gate import AutonomyLevel, Gate, GateContext, OutcomeStatus
from jayul.gate.duplicates import work_key
from jayul.records.events import Action
from jayul.records.timebase import NS_PER_H


@pytest.fixture(autouse=True)
def closed_audit(gate: Gate) -> Iterator[None]:
    """Each test's audit log flushed and closed: its background flush never races the exit."""
    yield
    gate.audit.close()


@pytest.fixture
def l2(gate: Gate) -> Gate:
    gate.autonomy.set_level(AutonomyLevel.L2, "t", T0, "approve everything")
    return gate


def person(name: str) -> GateContext:
    return GateContext(proposer=f"user:{name}", verdict=True)


def test_second_maintenance_for_one_machine_is_refused_naming_the_first(l2: Gate) -> None:
    first = l2.propose(maintenance(), verified(), T0)
    assert first.status is OutcomeStatus.PENDING and first.approval_id
    # another task on the same machine, by someone else: the same downtime, asked twice
    second = l2.propose(maintenance("overhaul", origin="model:capped"), person("ann"), T0 + 1)
    assert (second.status, second.check) == (OutcomeStatus.REFUSED, "duplicate")
    assert first.approval_id in second.reason and "pump1" in second.reason
    assert second.approval_id is None
    assert [a.id for a in l2.approvals.requests()] == [first.approval_id]  # one request only
    refusal = l2.audit.records(kind="action_refused")[-1]
    assert refusal.reason == second.reason and json.loads(refusal.payload)["check"] == "duplicate"


def test_duplicates_refused_at_l3_where_both_could_run(gate: Gate, executed: Recorder) -> None:
    gate.autonomy.set_level(AutonomyLevel.L3, "t", T0, "supervised")
    first = gate.propose(maintenance(), verified(uncertainty=0.9), T0)  # a person must decide
    assert first.status is OutcomeStatus.PENDING
    second = gate.propose(maintenance(), verified(), T0 + 1)  # would run at once otherwise
    assert second.check == "duplicate" and not executed.done


def test_other_machine_or_other_setpoint_is_not_a_duplicate(l2: Gate) -> None:
    assert l2.propose(maintenance(), verified(), T0).status is OutcomeStatus.PENDING
    other = l2.propose(maintenance(machine="pump2"), verified(), T0)
    assert other.status is OutcomeStatus.PENDING
    # a setpoint change on the machine with pending maintenance is other work
    change = l2.propose(setpoint(1600.0), verified(), T0)
    assert change.status is OutcomeStatus.PENDING
    again = l2.propose(setpoint(1550.0), verified(), T0)
    assert again.check == "duplicate" and str(change.approval_id) in again.reason


def test_setpoint_key_names_the_setpoint() -> None:
    flow = Action(
        time=T0,
        machine="pump1",
        kind=setpoint(1.0).kind,
        params={"setpoint": "flow", "value": 3.0},
        origin="policy:cbm",
    )
    assert work_key(setpoint(1600.0)) == work_key(setpoint(1500.0))
    assert work_key(flow) != work_key(setpoint(1600.0))


def test_decided_request_no_longer_blocks(l2: Gate) -> None:
    first = l2.propose(maintenance(), verified(), T0)
    l2.reject(str(first.approval_id), "olga", "operator", T0 + 1, "not now")
    assert l2.propose(maintenance(), verified(), T0 + 2).status is OutcomeStatus.PENDING


def test_executed_request_no_longer_blocks(l2: Gate) -> None:
    first = l2.propose(maintenance(), verified(), T0)
    l2.approve(str(first.approval_id), "olga", "operator", T0 + 1)
    assert l2.propose(maintenance(), verified(), T0 + 2).status is OutcomeStatus.PENDING


def test_approved_request_not_yet_run_blocks(l2: Gate) -> None:
    # approved from the command line: it runs at the gate's next tick
    first = l2.propose(maintenance(), verified(), T0)
    l2.approvals.decide(str(first.approval_id), True, "olga", "operator", T0 + 1)
    second = l2.propose(maintenance(), verified(), T0 + 2)
    assert second.check == "duplicate" and "approved" in second.reason


def test_expired_request_no_longer_blocks(l2: Gate) -> None:
    first = l2.propose(maintenance(), verified(), T0)
    l2.tick(T0 + NS_PER_H)  # escalated: still waiting for a person
    assert l2.propose(maintenance(), verified(), T0 + NS_PER_H).check == "duplicate"
    # past the escalation's deadline it counts as expired, before the next tick marks it so
    late = T0 + 2 * NS_PER_H
    assert l2.propose(maintenance(), verified(), late).status is OutcomeStatus.PENDING
    assert l2.approvals.get(str(first.approval_id)).status == "escalated"
    l2.tick(late)
    assert l2.approvals.get(str(first.approval_id)).status == "expired"


def test_action_executing_now_blocks_the_same_work(gate: Gate) -> None:
    # a proposal that arrives while the executor is still carrying out the same work
    answers = []

    def slow_executor(action: Action) -> None:
        answers.append(gate.propose(maintenance(), verified(), T0))

    gate.executor = slow_executor
    assert gate.propose(maintenance(), verified(), T0).status is OutcomeStatus.EXECUTED
    assert answers[0].check == "duplicate" and "executing now" in answers[0].reason
    assert gate.propose(maintenance(), verified(), T0 + 1).status is OutcomeStatus.EXECUTED


def test_l0_and_l1_record_repeats(gate: Gate) -> None:
    gate.autonomy.set_level(AutonomyLevel.L2, "t", T0, "approve")
    gate.propose(maintenance(), verified(), T0)
    gate.autonomy.set_level(AutonomyLevel.L1, "t", T0, "advise")
    assert gate.propose(maintenance(), verified(), T0).status is OutcomeStatus.ADVISED
