"""`jayul run`'s pilot sends actions to the plant only through the gate."""

from __future__ import annotations

from jayul.autopilot.monitor import HealthMonitor
from jayul.connect.pilot import SourcePilot
from jayul.decide.baselines import Preventive
from jayul.gate import AutonomyLevel, Gate, Origins
from jayul.plant import load_demo_plant
from jayul.records import Action, ActionKind, utc_now_ns


class RecordingSink:
    """A plant-side sink that records what reached it."""

    def __init__(self) -> None:
        self.sent: list[Action] = []

    def execute(self, action: Action) -> bool:
        self.sent.append(action)
        return True


def _pilot(level: AutonomyLevel) -> tuple[SourcePilot, RecordingSink]:
    plant = load_demo_plant()
    sink = RecordingSink()
    pilot = SourcePilot(plant, Preventive({}), HealthMonitor(plant), [sink])
    origins = Origins()
    origins.register("preventive", proposers=frozenset({"autopilot"}))
    pilot.gate = Gate(plant, ":memory:", pilot.send, origins, default_level=level)
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
    pilot._carry_out(_maintenance())
    assert sink.sent == []
    assert pilot.gate is not None and pilot.gate.approvals.count_open() == 1


def test_out_of_envelope_setpoint_never_reaches_the_plant() -> None:
    pilot, sink = _pilot(AutonomyLevel.L4)
    bad = Action(
        time=utc_now_ns(),
        machine="pump1",
        kind=ActionKind.CHANGE_SETPOINT,
        params={"setpoint": "speed_rpm", "value": 9000.0, "unit": "rpm"},
        origin="preventive",
    )
    pilot._carry_out(bad)
    assert sink.sent == []
    assert pilot.gate is not None
    assert pilot.gate.counters()["actions_refused"] == 1
