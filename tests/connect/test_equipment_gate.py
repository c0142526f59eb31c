"""On connected equipment, actions reach the plant only through the gate; with no twin to
verify on, the verifier says so and at L3 the gate asks a person, recorded as such."""

from __future__ import annotations

from pathlib import Path

from jayul.autopilot import Autopilot
from jayul.autopilot.monitor import HealthMonitor
from jayul.autopilot.setup import gate_for
from jayul.connect.bindings import Bindings, Connect
from jayul.connect.equipment import ConnectedPlant
from jayul.decide.baselines import Preventive
from jayul.gate import AutonomyLevel
from jayul.plant import load_demo_plant
from jayul.records import Action, ActionKind, utc_now_ns
from jayul.verify import Verifier


class RecordingSink:
    """A plant-side sink that records what reached it."""

    def __init__(self) -> None:
        self.sent: list[Action] = []

    def execute(self, action: Action) -> bool:
        self.sent.append(action)
        return True


def _pilot(level: AutonomyLevel) -> tuple[Autopilot, RecordingSink]:
    plant = load_demo_plant()
    sink = RecordingSink()
    equipment = ConnectedPlant(Bindings(plant, Connect(), Path("plant.yaml")), [sink])
    gate = gate_for(plant, equipment, ":memory:", level, by="test")
    pilot = Autopilot(
        equipment,
        Preventive({}),
        monitor=HealthMonitor(plant),
        gate=gate,
        verifier=Verifier(futures=2),
    )
    return pilot, sink


def _maintenance() -> Action:
    return Action(
        time=utc_now_ns(),
        machine="pump1",
        kind=ActionKind.START_MAINTENANCE,
        params={"action": "bearing_service"},
        origin="preventive",
    )


def test_l2_waits_for_a_person() -> None:
    pilot, sink = _pilot(AutonomyLevel.L2)
    assert not pilot.propose(_maintenance())
    assert sink.sent == []
    assert pilot.gate is not None and pilot.gate.approvals.count_open() == 1


def test_l3_without_a_twin_asks_a_person_and_says_why() -> None:
    pilot, sink = _pilot(AutonomyLevel.L3)
    assert not pilot.propose(_maintenance())
    assert sink.sent == []
    gate = pilot.gate
    assert gate is not None and gate.approvals.count_open() == 1
    item = gate.approvals.requests(("pending",))[0]
    assert "no calibrated twin" in item.reason
    kinds = [r.kind for r in gate.audit.records()]
    assert "not_verified" in kinds and "action_pending" in kinds
    assert any("no calibrated twin" in n for n in pilot.notices)
    out = gate.approve(item.id, "olga", "operator", utc_now_ns(), "checked the pump")
    assert out.status.value == "executed" and len(sink.sent) == 1
    assert pilot.plant.machines()["pump1"].pending_work == ("bearing_service",)


def test_out_of_envelope_setpoint_never_reaches_the_plant() -> None:
    pilot, sink = _pilot(AutonomyLevel.L4)
    bad = Action(
        time=utc_now_ns(),
        machine="pump1",
        kind=ActionKind.CHANGE_SETPOINT,
        params={"setpoint": "speed_rpm", "value": 9000.0, "unit": "rpm"},
        origin="preventive",
    )
    assert not pilot.propose(bad)
    assert sink.sent == []
    assert pilot.gate is not None
    assert pilot.gate.counters()["actions_refused"] == 1
