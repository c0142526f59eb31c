"""A continuous process under the autopilot: setpoints searched on forks, walked there through
the verifier and the gate, and the operating cost against the base case over the same hours.

`run_process` is what `jayul demo --plant` runs for a plant file with a `process:` section and
what `jayul bench process-opt` measures: the base case is a fork of the same process at the
same moment (same noise) left on the plant file's setpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jayul.autopilot.fault_naming import FaultNamer
from jayul.autopilot.loop import Autopilot
from jayul.autopilot.monitor import HealthMonitor
from jayul.autopilot.process_monitor import ProcessMonitor
from jayul.autopilot.process_plant import ProcessPlant
from jayul.autopilot.soft_sensor_refit import SoftSensorRefit
from jayul.decide.process_setpoints import CostOnFork, Evaluation, SetpointWalk, search_setpoints
from jayul.gate import AutonomyLevel, Gate, Origins
from jayul.govern.registry import Registry
from jayul.historian.base import Historian
from jayul.plant.model import Plant
from jayul.records.timebase import NS_PER_H
from jayul.twin.process import ProcessLedger, ProcessTwin
from jayul.verify.process import ProcessVerifier

Progress = Callable[[str, float, float], None]  # (what, done, total)
# energy and carbon per m3 of product (`ProcessLedger.energy_per_m3`)
ENERGY = ("compressor_kwh_per_m3", "steam_kg_per_m3", "energy_kwh_per_m3", "carbon_kg_per_m3")


@dataclass
class ProcessRun:
    """What one run did: the search's result, both ledgers and the gate's counters."""

    hours: float
    search: Evaluation
    searched_runs: int
    run: ProcessLedger
    base: ProcessLedger
    gate: dict[str, int] = field(default_factory=dict)
    final_setpoints: dict[str, float] = field(default_factory=dict)
    alerts: list[str] = field(default_factory=list)  # each alert's unit and reason, in order
    # what the registry and the deployment gate decided about the soft sensor, in order
    notices: list[str] = field(default_factory=list)
    alert_hours: list[float] = field(default_factory=list)  # each alert's time in run hours

    def figures(self) -> dict[str, object]:
        run, base = self.run.per_hour(), self.base.per_hour()
        return {
            "hours": self.hours,
            "cost_per_h": run["cost_per_h"],
            "base_cost_per_h": base["cost_per_h"],
            "cost_change": run["cost_per_h"] / base["cost_per_h"] - 1.0,
            "product_m3_per_h": run["product_m3_per_h"],
            "base_product_m3_per_h": base["product_m3_per_h"],
            "off_spec_share": run["off_spec_share"],
            "base_off_spec_share": base["off_spec_share"],
            **{k: run[k] for k in ENERGY},
            **{f"base_{k}": base[k] for k in ENERGY},
            "shutdown": self.run.shutdown,
            "base_shutdown": self.base.shutdown,
            "search_runs": self.searched_runs,
            "search_cost_per_h": self.search.cost_per_h,
            "targets": {f"{m}.{sp}": v for (m, sp), v in self.search.setpoints.items()},
            "final_setpoints": self.final_setpoints,
            "alerts": self.alerts,
            "alert_hours": self.alert_hours,
            "model_notices": self.notices,
            **self.gate,
        }


def process_gate(plant: Plant, twin: ProcessTwin, port: ProcessPlant, db: str,
                 level: AutonomyLevel, proposer: str) -> Gate:  # fmt: skip
    """A gate in front of the process: the interlock measures steps from the setpoints in force
    on the process; the optimiser may speak through the autopilot."""
    origins = Origins()
    origins.register(SetpointWalk.name, proposers=frozenset({proposer}))
    gate = Gate(
        plant,
        db,
        port.execute,
        origins,
        current=lambda m, sp: twin.setpoints(m)[sp],
        default_level=level,
        approval_timeout_ns=int(24 * NS_PER_H),
    )
    gate.autonomy.start_level(level, "process", port.time_ns(), f"process run at {level.name}")
    return gate


def run_process(
    plant: Plant,
    hours: float,
    db: str | Path,
    *,
    seed: int = 0,
    level: AutonomyLevel = AutonomyLevel.L3,
    budget: int = 24,
    historian: Historian | None = None,
    progress: Progress | None = None,
    monitor_fit_h: float | None = None,
    namer: FaultNamer | None = None,
    disturbance: tuple[int, float] | None = None,
) -> ProcessRun:
    """Search setpoints on forks, then run the process for `hours` under the autopilot walking
    to them (every change verified and gated) beside the unchanged base case. With
    `monitor_fit_h`, the process monitor watches it too (commissioned over that many hours):
    the units' alerts, naming the known fault when `namer` is given, and the soft sensor's
    drift against its analyser, refitted through the registry and the deployment gate.
    `disturbance` (IDV number, hour) switches one of the process's known disturbances on at
    that hour of the run (not in the base case), to see the loop meet a fault."""
    twin = ProcessTwin(plant, seed=seed)
    base = twin.fork()
    objective = CostOnFork(twin)
    found = search_setpoints(
        objective, budget, lambda n, _: progress("searching setpoints on forks", n, budget)
        if progress else None,
    )  # fmt: skip
    port = ProcessPlant(twin)
    gate = process_gate(plant, twin, port, str(db), level, "autopilot")
    monitor, refit = None, None
    if monitor_fit_h is not None:
        # the soft sensor's first fit and every refit: registered, served only through the gate
        refit = SoftSensorRefit(plant, Registry(gate.con, gate.audit), historian=historian)
        monitor = ProcessMonitor(HealthMonitor(plant, fit_h=monitor_fit_h), namer, refit,
                                 first_fit=refit.first_fit, audit=gate.audit)  # fmt: skip
    pilot = Autopilot(
        port,
        SetpointWalk(found.setpoints),
        monitor=monitor,
        historian=historian,
        verifier=ProcessVerifier(),
        gate=gate,
        # a refused change is tried again on the later process; one waiting for a person
        # (L2) is not asked again for a day
        repropose_after_h=2.0 if level >= AutonomyLevel.L3 else 24.0,
    )
    start_ns = port.time_ns()
    while port.now_h < hours - 1e-9 and not twin.tripped:
        if disturbance is not None and port.now_h >= disturbance[1] - 1e-9:
            twin.set_disturbance(disturbance[0])
        pilot.tick()
        if progress is not None:
            progress("running the process", port.now_h, hours)
    pilot.flush()
    gate.audit.flush()
    base.step(hours)
    alerts = [f"{a.machine}: {a.reason()}" for a in monitor.raised] if monitor else []
    hours_at = [(a.time - start_ns) / NS_PER_H for a in monitor.raised] if monitor else []
    final = {f"{m}.{sp}": v for (m, sp), v in twin.all_setpoints().items()}
    return ProcessRun(
        hours,
        found,
        len(objective.evaluations),
        twin.ledger,
        base.ledger,
        gate.counters(),
        final,
        alerts,
        list(refit.outcomes) if refit is not None else [],
        hours_at,
    )
