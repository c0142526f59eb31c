"""Does an alert name the failure mode that is actually wearing the machine?

    python -m jayul.bench.policies.attribution [--seeds 4] [--days 180] [--first-seed 1000]

Runs the demo plant's twin with nobody maintaining anything (the reactive policy, so that wear
runs its course), the health monitor watching every machine, and for every alert compares
the failure mode the monitor names (`MachineHealth.suspect_mode`, what the condition-based
and predictive policies act on) with the mode that is truly most worn at that moment (the
twin's own health state, which no policy sees). Prints the share named right, over all alerts
and over those raised when that mode's wear is past half-way, and counts the alerts raised on a
healthy machine (every mode's wear below its onset, so no signal carries any effect: a false
alarm). Tuning seeds (1000 and up) by default: the policy comparison's seeds stay unlooked at.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jayul.autopilot.setup import pilot_for
from jayul.plant import demo_plant_path, load_plant
from jayul.plant.model import Plant
from jayul.records import Alert, MachineState, Samples
from jayul.records.state_changes import StateChange
from jayul.twin import Twin

WORN = 0.5  # wear of the true mode (0 new, 1 failure) above which an alert should name it


@dataclass
class AttributionTally:
    alerts: int = 0
    named_right: int = 0
    worn_alerts: int = 0  # alerts raised when the truly worn mode is past `WORN`
    worn_named_right: int = 0
    # alerts on a healthy machine: every mode's wear below its onset, so no signal shows any
    healthy_alerts: int = 0

    def add(self, right: bool, worn: bool, healthy: bool = False) -> None:
        self.alerts += 1
        self.healthy_alerts += healthy
        self.named_right += right
        self.worn_alerts += worn
        self.worn_named_right += right and worn

    def share(self, worn_only: bool = False) -> float:
        total = self.worn_alerts if worn_only else self.alerts
        right = self.worn_named_right if worn_only else self.named_right
        return right / total if total else float("nan")


def tally_seed(plant: Plant, seed: int, days: float, tally: AttributionTally) -> None:
    """Run one seed and add its alerts to `tally`."""
    twin = Twin(plant, seed=seed, signals=True, record_events=False, signal_period_s=600.0)
    pilot = pilot_for(plant, twin, "reactive")
    monitor = pilot.monitor
    assert monitor is not None
    update = monitor.update

    def judged_update(
        batch: Samples,
        *,
        states: Mapping[str, MachineState] | None = None,
        changes: Sequence[StateChange] | None = None,
    ) -> list[Alert]:
        alerts = update(batch, states=states, changes=changes)
        for alert in alerts:
            health = twin.machines[alert.machine].health
            worn = max(health, key=lambda mode: health[mode])
            named = monitor.machines[alert.machine].suspect_mode
            onsets = {f.id: f.onset for f in plant.machine_type(alert.machine).failure_modes}
            healthy = all(health[mode] < onsets[mode] for mode in health)
            tally.add(named == worn, health[worn] > WORN, healthy)
        return alerts

    monitor.update = judged_update  # type: ignore[method-assign]
    pilot.run(days * 24.0)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--days", type=float, default=180.0)
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.days <= 0:
        parser.error("--seeds must be at least 1 and --days positive")
    plant = load_plant(demo_plant_path())
    tally = AttributionTally()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        tally_seed(plant, seed, args.days, tally)
    print(
        f"{tally.alerts} alerts, the worn mode named in {tally.named_right} "
        f"({tally.share():.1%}); with that mode's wear past {WORN:g}: "
        f"{tally.worn_named_right} of {tally.worn_alerts} ({tally.share(worn_only=True):.1%}); "
        f"on a healthy machine (no mode past its onset): {tally.healthy_alerts}"
    )


if __name__ == "__main__":
    main()
