"""The demo plant's twin as a group of equipment: does a candidate alert before failures?

The setting of `jayul.bench.policies.attribution` (tuning seeds 1000 and up, 600 s signals, the
reactive policy so that wear runs its course, no maintenance): one twin run per seed, watched
by one health monitor per candidate at once. Under the reactive policy alerts change nothing
in the plant, so every monitor sees the same samples, states and repairs as if it ran alone.

Per candidate: the failures, those caught (an alert on the machine after its previous repair,
or the start, and before it failed) and the median warning they had (hours from that first
alert to the failure), all alerts, and the alerts raised on a healthy machine (every failure
mode's wear below its onset, so no signal carries any effect: false alarms).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from jayul.autopilot.monitor import HealthMonitor
from jayul.autopilot.setup import pilot_for
from jayul.bench.skab.product_pool import ProductCandidate
from jayul.plant import demo_plant_path, load_plant
from jayul.plant.model import Plant
from jayul.records import Alert, MachineState, Samples
from jayul.records.state_changes import StateChange
from jayul.twin import Twin

FIRST_SEED = 1000  # the attribution benchmark's tuning seeds; the policy comparison's stay unseen
SIGNAL_PERIOD_S = 600.0


@dataclass
class TwinTally:
    failures: int = 0
    caught: int = 0
    alerts: int = 0
    healthy_alerts: int = 0
    lead_h: list[float] = field(default_factory=list)  # first alert to failure, per caught one
    # machine -> plant hour of its first alert since its last repair
    alerted: dict[str, float] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        out = asdict(self)
        del out["alerted"], out["lead_h"]
        out["caught_percent"] = 100.0 * self.caught / self.failures if self.failures else None
        # how much warning a caught failure had: what a maintenance plan can use
        out["lead_h_median"] = float(np.median(self.lead_h)) if self.lead_h else None
        return out


def _watch_seed(
    plant: Plant,
    seed: int,
    days: float,
    monitors: dict[str, HealthMonitor],
    tallies: dict[str, TwinTally],
) -> None:
    twin = Twin(
        plant, seed=seed, signals=True, record_events=False, signal_period_s=SIGNAL_PERIOD_S
    )
    pilot = pilot_for(plant, twin, "reactive")
    primary = pilot.monitor
    assert primary is not None
    onsets = {
        m.id: {f.id: f.onset for f in plant.machine_type(m.id).failure_modes}
        for m in plant.machines
    }
    for tally in tallies.values():
        tally.alerted = {}
    failed = dict(twin.ledger.failures_by_machine)

    def healthy(alert: Alert) -> bool:
        health = twin.machines[alert.machine].health
        return all(health[mode] < onsets[alert.machine][mode] for mode in health)

    def update(
        batch: Samples,
        *,
        states: Mapping[str, MachineState] | None = None,
        changes: Sequence[StateChange] | None = None,
    ) -> list[Alert]:
        for name, monitor in monitors.items():
            tally = tallies[name]
            for alert in monitor.update(batch, states=states, changes=changes):
                tally.alerts += 1
                tally.healthy_alerts += healthy(alert)
                tally.alerted.setdefault(alert.machine, twin.now_h)
        # failures during this tick: rows after a failure are not judged (the machine is down),
        # so an alert raised by this batch came before it
        for machine, count in twin.ledger.failures_by_machine.items():
            new = count - failed.get(machine, 0)
            if new <= 0:
                continue
            for tally in tallies.values():
                tally.failures += new
                first = tally.alerted.pop(machine, None)
                if first is not None:
                    tally.caught += 1
                    tally.lead_h.append(twin.now_h - first)
            failed[machine] = count
        return []

    def reset_machine(machine: str) -> None:
        for monitor in monitors.values():
            monitor.reset_machine(machine)

    primary.update = update  # type: ignore[method-assign]
    primary.reset_machine = reset_machine  # type: ignore[method-assign]
    pilot.run(days * 24.0)


def score_twin(
    candidates: list[ProductCandidate],
    days: float = 90.0,
    seeds: int = 2,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Per candidate, the twin's figures summed over `seeds` runs of `days` days."""
    say = progress or (lambda _msg: None)
    plant = load_plant(demo_plant_path())
    tallies = {c.name: TwinTally() for c in candidates}
    for seed in range(FIRST_SEED, FIRST_SEED + seeds):
        say(f"twin: seed {seed}, {days:g} days, {len(candidates)} monitors")
        monitors = {
            c.name: HealthMonitor(
                plant, detector_factory=c.detector, quantile=c.quantile, margin=c.margin
            )
            for c in candidates
        }
        _watch_seed(plant, seed, days, monitors, tallies)
    return {name: t.figures() for name, t in tallies.items()}
