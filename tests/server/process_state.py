"""The process twin under the autopilot behind a `LiveState`, for the process view's API and
browser tests: three hours of normal operation, then the A feed lost (IDV 6) for an hour; the
setpoint walk's first reactor-pressure step waits for a person at L2."""

from __future__ import annotations

from pathlib import Path

from jayul.autopilot.loop import Autopilot
from jayul.autopilot.monitor import HealthMonitor
from jayul.autopilot.process_monitor import ProcessMonitor
from jayul.autopilot.process_plant import ProcessPlant
from jayul.autopilot.process_run import process_gate
from jayul.decide.process_setpoints import SetpointWalk
from jayul.gate import AutonomyLevel
from jayul.plant import load_plant
from jayul.server import LiveState
from jayul.server.users import Role
from jayul.twin.process import ProcessTwin

TEP = Path(__file__).resolve().parents[2] / "examples" / "plants" / "tep.yaml"
OPERATOR = ("olga", "operator-pass-1")


def process_live_state(db: str) -> LiveState:
    plant = load_plant(TEP)
    twin = ProcessTwin(plant, seed=2)
    port = ProcessPlant(twin)
    gate = process_gate(plant, twin, port, db, AutonomyLevel.L2, "autopilot")
    # no verifier: each proposal goes to the gate unverified, and at L2 to a person
    pilot = Autopilot(
        port,
        SetpointWalk({("reactor", "reactor_pressure"): 2755.0}),
        monitor=ProcessMonitor(HealthMonitor(plant, fit_h=2.5)),
        gate=gate,
        tick_h=0.25,
    )
    state = LiveState(plant, pilot, None, db, gate=gate)
    state.users.add(OPERATOR[0], Role.OPERATOR, OPERATOR[1], by="test")
    state.warm_up(3.0)  # the monitors learn the process
    twin.set_disturbance(6)
    state.warm_up(1.0)
    return state
