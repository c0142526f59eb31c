"""Assembling the autopilot the way the main job runs it: twin, historian, monitor, policy,
and (unless switched off) the verifier and the gate in front of the plant."""

from __future__ import annotations

from dataclasses import dataclass

from jayul.autopilot.executor import TwinExecutor
from jayul.autopilot.gated import GatedExecutor
from jayul.autopilot.loop import Autopilot
from jayul.autopilot.monitor import HealthMonitor
from jayul.decide.named import POLICY_NAMES, make_policy
from jayul.gate import AutonomyLevel, Gate, Origins
from jayul.historian.base import Historian
from jayul.plant.model import Plant
from jayul.records.timebase import NS_PER_H
from jayul.twin import Twin
from jayul.verify import Verifier


@dataclass
class Assembly:
    pilot: Autopilot
    gate: Gate | None


def assemble(
    plant: Plant,
    twin: Twin,
    policy: str,
    historian: Historian | None,
    db: str,
    autonomy: AutonomyLevel | None,
    verifier: Verifier | None = None,
    approval_timeout_h: float = 24.0,
) -> Assembly:
    """The autopilot for `policy`; with `autonomy`, every action goes through the verifier and
    the gate (state and audit trail in the plant database `db`), at that level plant-wide."""
    pol = make_policy(policy, plant)
    monitor = HealthMonitor(plant)
    if autonomy is None:
        return Assembly(Autopilot(twin, pol, historian=historian, monitor=monitor), None)
    plant_side = TwinExecutor(twin)
    origins = Origins()
    for name in POLICY_NAMES:
        origins.register(name, proposers=frozenset({"autopilot"}))
    gate = Gate(
        plant,
        db,
        plant_side.execute,
        origins,
        default_level=autonomy,
        approval_timeout_ns=int(approval_timeout_h * NS_PER_H),
    )
    now = twin.time_ns()
    gate.autonomy.set_level(autonomy, "demo", now, f"jayul demo --autonomy {autonomy.name}")
    executor = GatedExecutor(twin, gate, verifier or Verifier())
    pilot = Autopilot(twin, pol, historian=historian, monitor=monitor, executor=executor)
    return Assembly(pilot, gate)
