"""Assembling the autopilot the way `jayul demo`, `jayul serve` and `jayul run` run it: a plant
(the twin or connected equipment), historian, monitor, policy, and (unless switched off) the
verifier and the gate in front of the plant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from jayul.autopilot.loop import Autopilot
from jayul.autopilot.monitor import HealthMonitor
from jayul.autopilot.plant_port import PlantPort
from jayul.autopilot.twin_plant import TwinPlant
from jayul.decide.named import POLICY_NAMES, make_policy
from jayul.decide.policy import Policy
from jayul.decide.process_setpoints import SetpointWalk
from jayul.gate import AutonomyLevel, Gate, Origins
from jayul.gate.interlock import CurrentValue
from jayul.historian.base import Historian
from jayul.plant.model import Plant
from jayul.records.timebase import NS_PER_H
from jayul.twin import Twin
from jayul.verify import Verifier

if TYPE_CHECKING:  # the RUL stack (LightGBM) and the planner (OR-Tools) load only when used
    from jayul.autopilot.rul_monitor import RulMonitor, TrainingProgress
    from jayul.health.rul.fleet import FleetRulModels


@dataclass
class Assembly:
    pilot: Autopilot
    gate: Gate | None


def rul_monitor_for(
    plant: Plant,
    port: PlantPort,
    rul_models: FleetRulModels | None,
    progress: TrainingProgress | None = None,
) -> RulMonitor | None:
    """The live RUL monitor: with `rul_models` when given; on the twin, models trained on twin
    histories (or loaded from the cache); on real equipment, none unless given (models come
    from the plant's own history, see `jayul.autopilot.plant_history`)."""
    from jayul.autopilot.rul_monitor import RulMonitor, load_or_train

    if rul_models is None and isinstance(port, TwinPlant):
        rul_models = load_or_train(plant, progress=progress)[0]
    return RulMonitor(plant, rul_models) if rul_models is not None else None


def pilot_for(
    plant: Plant,
    port: PlantPort | Twin,
    policy: str | Policy,
    historian: Historian | None = None,
    rul_models: FleetRulModels | None = None,
    progress: TrainingProgress | None = None,
    *,
    gate: Gate | None = None,
    verifier: Verifier | None = None,
    monitor: HealthMonitor | None = None,
) -> Autopilot:
    """An autopilot running `policy` on `port`, with what the policy reads: the health monitor
    always; for the predictive policy also the live RUL monitor (`rul_monitor_for`)."""
    port = TwinPlant(port) if isinstance(port, Twin) else port
    pol = make_policy(policy, plant) if isinstance(policy, str) else policy
    rul_monitor = None
    if pol.name == "predictive":
        rul_monitor = rul_monitor_for(plant, port, rul_models, progress)
    return Autopilot(
        port,
        pol,
        historian=historian,
        monitor=monitor or HealthMonitor(plant),
        rul_monitor=rul_monitor,
        verifier=verifier,
        gate=gate,
    )


def gate_for(
    plant: Plant,
    port: PlantPort,
    db: str,
    autonomy: AutonomyLevel,
    approval_timeout_h: float = 24.0,
    by: str = "demo",
    why: str | None = None,
    current: CurrentValue | None = None,
) -> Gate:
    """A gate in front of `port` (state and audit trail in the plant database `db`), with every
    named policy and the process's setpoint walk registered as origins the autopilot may speak
    for, at `autonomy`; `current` gives the setpoints in force the interlock measures steps
    from (default: the gate's own record of what it executed)."""
    origins = Origins()
    for name in (*POLICY_NAMES, SetpointWalk.name):
        origins.register(name, proposers=frozenset({"autopilot"}))
    gate = Gate(
        plant,
        db,
        port.execute,
        origins,
        current=current,
        default_level=autonomy,
        approval_timeout_ns=int(approval_timeout_h * NS_PER_H),
    )
    reason = why or f"jayul {by} --autonomy {autonomy.name}"
    # a level stored by an earlier run (or the kill switch) wins over the start-up option
    gate.autonomy.start_level(autonomy, by, port.time_ns(), reason)
    return gate


def assemble(
    plant: Plant,
    port: PlantPort | Twin,
    policy: str,
    historian: Historian | None,
    db: str,
    autonomy: AutonomyLevel | None,
    verifier: Verifier | None = None,
    approval_timeout_h: float = 24.0,
    progress: TrainingProgress | None = None,
    rul_models: FleetRulModels | None = None,
    monitor: HealthMonitor | None = None,
    verify: bool = True,
) -> Assembly:
    """The autopilot for `policy`; with `autonomy`, every action goes through the verifier
    (unless `verify` is False: the gate then treats each proposal as unverified) and the gate
    (state and audit trail in the plant database `db`), at that level plant-wide."""
    port = TwinPlant(port) if isinstance(port, Twin) else port
    if autonomy is None:
        pilot = pilot_for(plant, port, policy, historian, rul_models, progress, monitor=monitor)
        return Assembly(pilot, None)
    gate = gate_for(plant, port, db, autonomy, approval_timeout_h)
    pilot = pilot_for(
        plant,
        port,
        policy,
        historian,
        rul_models,
        progress,
        gate=gate,
        verifier=(verifier or Verifier()) if verify else None,
        monitor=monitor,
    )
    return Assembly(pilot, gate)
