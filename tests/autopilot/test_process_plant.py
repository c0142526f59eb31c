"""The process twin under the autopilot: the plant interface's conventions, and setpoint changes
that go through the verifier (on forks) and the gate's interlock."""

from __future__ import annotations

from pathlib import Path

import pytest

from jayul.autopilot.loop import Autopilot
from jayul.autopilot.process_plant import ProcessPlant
from jayul.autopilot.process_run import process_gate
from jayul.decide.process_setpoints import SetpointWalk
from jayul.gate import AutonomyLevel
from jayul.plant import load_plant
from jayul.records import Action, ActionKind, MachineState
from jayul.twin.process import ProcessTwin
from jayul.verify.process import ProcessVerifier

TEP = Path(__file__).resolve().parents[2] / "examples" / "plants" / "tep.yaml"


@pytest.fixture
def port() -> ProcessPlant:
    return ProcessPlant(ProcessTwin(load_plant(TEP), seed=0))


def test_units_in_plant_order_running_with_their_setpoints(port: ProcessPlant) -> None:
    readings = port.machines()
    assert list(readings) == port.model.machine_ids
    assert all(r.state is MachineState.RUNNING for r in readings.values())
    assert readings["reactor"].setpoints["reactor_level"] == 75.0
    assert readings["compressor"].setpoints == {}


def test_samples_arrive_once_and_a_fork_is_the_process_now(port: ProcessPlant) -> None:
    port.advance(0.1)
    assert port.collect().samples is not None
    again = port.collect().samples
    assert again is not None and len(again) == 0
    fork = port.fork()
    assert isinstance(fork, ProcessTwin) and fork.now_h == port.now_h


def test_maintenance_is_not_a_process_action(port: ProcessPlant) -> None:
    with pytest.raises(ValueError, match="setpoint changes only"):
        port.execute(Action(time=0, machine="reactor", kind=ActionKind.START_MAINTENANCE,
                            params={"action": "x"}, origin="test"))  # fmt: skip


def test_changes_are_verified_on_forks_and_the_envelope_holds(
    port: ProcessPlant, tmp_path: Path
) -> None:
    gate = process_gate(port.model, port.twin, port, str(tmp_path / "g.duckdb"),
                        AutonomyLevel.L3, "autopilot")  # fmt: skip
    walk = SetpointWalk({("reactor", "reactor_pressure"): 2755.0})
    pilot = Autopilot(port, walk, verifier=ProcessVerifier(horizon_h=0.5), gate=gate, tick_h=0.1)
    pilot.tick()
    verdicts = gate.audit.records(kind="verdict")
    assert len(verdicts) == 1
    assert gate.counters()["actions_executed"] + gate.counters()["actions_refused"] == 1
    # outside the envelope: refused by the interlock, whatever the verifier would say
    far = Action(time=port.time_ns(), machine="reactor", kind=ActionKind.CHANGE_SETPOINT,
                 params={"setpoint": "reactor_pressure", "value": 2990.0, "unit": "kPa"},
                 origin=SetpointWalk.name)  # fmt: skip
    assert not pilot.propose(far)
    assert port.twin.setpoints("reactor")["reactor_pressure"] <= 2730.0


def test_clock_agrees_and_a_real_trip_stops_every_unit(port: ProcessPlant) -> None:
    from jayul.records.timebase import NS_PER_H, to_ns

    port.advance(0.05)
    epoch = to_ns(port.model.start)
    assert abs(port.time_ns() - round(port.now_h * NS_PER_H) - epoch) < NS_PER_H / 3600
    # a target far past the envelope (the twin itself does not police it; the gate does)
    port.twin.set_setpoint("reactor", "reactor_temperature", 180.0)
    port.advance(0.25)
    assert port.twin.tripped and "Shutting down" in str(port.twin.ledger.shutdown)
    events = port.collect().events
    assert {e.machine for e in events} == set(port.model.machine_ids)
    assert all(r.state is MachineState.DOWN for r in port.machines().values())
    change = Action(time=port.time_ns(), machine="reactor", kind=ActionKind.CHANGE_SETPOINT,
                    params={"setpoint": "reactor_level", "value": 72.5, "unit": "%"},
                    origin="test")  # fmt: skip
    assert not port.execute(change)  # a tripped process takes no new targets
    assert port.collect().events == ()  # the trip is said once
