"""Assembling the autopilot the way the main job runs it: twin, historian, monitor, policy,
and (unless switched off) the verifier and the gate in front of the plant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from jayul.autopilot.executor import ActionExecutor, TwinExecutor
from jayul.autopilot.gated import GatedExecutor
from jayul.autopilot.loop import Autopilot
from jayul.autopilot.monitor import HealthMonitor
from jayul.decide.named import POLICY_NAMES, make_policy
from jayul.decide.policy import Policy
from jayul.gate import AutonomyLevel, Gate, Origins
from jayul.historian.base import Historian
from jayul.plant.model import Plant
from jayul.records.timebase import NS_PER_H
from jayul.twin import Twin
from jayul.verify import Verifier

if TYPE_CHECKING:  # the RUL stack (LightGBM) and the planner (OR-Tools) load only when used
    from jayul.autopilot.rul_monitor import TrainingProgress
    from jayul.health.rul.fleet import FleetRulModels


@dataclass
class Assembly:
    pilot: Autopilot
    gate: Gate | None


def pilot_for(
    plant: Plant,
    twin: Twin,
    policy: str | Policy,
    historian: Historian | None = None,
    executor: ActionExecutor | None = None,
    rul_models: FleetRulModels | None = None,
    progress: TrainingProgress | None = None,
) -> Autopilot:
    """An autopilot running `policy` on `twin`, with what the policy reads: the health monitor
    always; for the predictive policy also the live RUL monitor (its fleet models loaded from
    the cache or trained on twin histories, `progress` reporting), the production view, and a
    dispatcher that follows its plan."""
    pol = make_policy(policy, plant) if isinstance(policy, str) else policy
    rul_monitor = None
    if getattr(pol, "name", "") == "predictive":
        from jayul.autopilot.production import PlanDispatcher, production_view
        from jayul.autopilot.rul_monitor import RulMonitor, load_or_train
        from jayul.decide.predictive import Predictive

        assert isinstance(pol, Predictive)
        models = rul_models or load_or_train(plant, progress=progress)[0]
        rul_monitor = RulMonitor(plant, models)
        pol.production = lambda: production_view(twin)
        twin.dispatcher = PlanDispatcher(lambda: pol.plan_)
    return Autopilot(
        twin,
        pol,
        historian=historian,
        monitor=HealthMonitor(plant),
        executor=executor,
        rul_monitor=rul_monitor,
    )


def assemble(
    plant: Plant,
    twin: Twin,
    policy: str,
    historian: Historian | None,
    db: str,
    autonomy: AutonomyLevel | None,
    verifier: Verifier | None = None,
    approval_timeout_h: float = 24.0,
    progress: TrainingProgress | None = None,
) -> Assembly:
    """The autopilot for `policy`; with `autonomy`, every action goes through the verifier and
    the gate (state and audit trail in the plant database `db`), at that level plant-wide."""
    if autonomy is None:
        return Assembly(pilot_for(plant, twin, policy, historian, progress=progress), None)
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
    # a level stored by an earlier run (or the kill switch) wins over the start-up option
    gate.autonomy.start_level(autonomy, "demo", now, f"jayul demo --autonomy {autonomy.name}")
    executor = GatedExecutor(twin, gate, verifier or Verifier())
    pilot = pilot_for(plant, twin, policy, historian, executor, progress=progress)
    return Assembly(pilot, gate)
