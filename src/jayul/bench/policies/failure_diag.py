"""Which failures the predictive policy lets through, and what it saw before each.

    python -m jayul.bench.policies.failure_diag --seed 1000 --days 120 [--safety-threshold T] \
        [--alarm-threshold A --alarm-rul-scale S]

Runs the twin under `Predictive` (the demo plant's shipped fallback threshold, the net as
given: none unless `--safety-threshold`; the alarm's correction of the planner's risk likewise
off unless `--alarm-threshold`) and prints, for every failure, what the policy saw
at 200, 150, 100, 72, 48, 24, 12, 6 and 1 hours before it: machine status, the health
indicator and the mode its alarm named, each mode's RUL (p10 / p50 / p90 and P(fail within
72 h)) and operating hours since restoration. Use tuning seeds (1000 and up) only: choosing
a fix from what the comparison seeds show would tune on them. It only observes: the policy
decides exactly as it would without it.
"""

from __future__ import annotations

import argparse
from collections import deque
from dataclasses import dataclass
from typing import Any

from jayul.autopilot.rul_monitor import load_or_train
from jayul.autopilot.setup import pilot_for
from jayul.decide.named import tuned_settings
from jayul.decide.policy import Observation
from jayul.decide.predictive import Predictive
from jayul.plant import demo_plant_path, load_plant
from jayul.plant.model import Plant
from jayul.records import Action, Event, EventKind
from jayul.twin import Twin

LOOK_BACK_H = (200, 150, 100, 72, 48, 24, 12, 6, 1)


@dataclass(frozen=True)
class Seen:
    hour: float
    text: str


class Recording(Predictive):
    """`Predictive` that keeps, per machine, one line per hour of what it saw."""

    def __init__(self, fallback_threshold: float, **settings: Any) -> None:
        super().__init__(fallback_threshold=fallback_threshold, **settings)
        self.seen: dict[str, deque[Seen]] = {}

    def decide(self, plant: Plant, obs: Observation) -> list[Action]:
        actions = super().decide(plant, obs)
        for mid, m in obs.machines.items():
            modes = ", ".join(
                f"{k} p10/50/90 {v.p10:.0f}/{v.p50:.0f}/{v.p90:.0f} "
                f"P72 {v.prob_fail_before(72):.3f}"
                for k, v in (m.rul or {}).items()
            )
            hours = ", ".join(f"{k} {v:.0f}" for k, v in m.run_hours_since.items())
            ind = "-" if m.indicator is None else f"{m.indicator:.2f}"
            text = f"{m.status:11s} ind {ind:>5s} alarm {m.suspect_mode}; {modes}; run h {hours}"
            self.seen.setdefault(mid, deque(maxlen=240)).append(Seen(obs.now_h, text))
        return actions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--days", type=float, default=120.0)
    parser.add_argument("--safety-threshold", type=float, default=None)
    parser.add_argument("--alarm-threshold", type=float, default=None)
    parser.add_argument("--alarm-rul-scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    if args.seed < 1000:
        parser.error("diagnose on tuning seeds (1000 and up), not on the comparison seeds")
    plant = load_plant(demo_plant_path())
    fallback = float(tuned_settings(plant).get("condition", {}).get("threshold", 1.0))
    policy = Recording(
        fallback_threshold=fallback,
        safety_threshold=args.safety_threshold,
        alarm_threshold=args.alarm_threshold,
        alarm_rul_scale=args.alarm_rul_scale,
    )
    twin = Twin(plant, seed=args.seed, signals=True, record_events=True, signal_period_s=600.0)
    pilot = pilot_for(plant, twin, policy, rul_models=load_or_train(plant)[0])
    drain = twin.drain_events
    failures: list[tuple[float, str, str, list[Seen]]] = []

    def watched_drain() -> list[Event]:
        events = drain()
        for e in events:
            if e.kind == EventKind.FAILURE and e.machine:
                seen = list(policy.seen.get(e.machine, ()))
                failures.append((twin.now_h, e.machine, str(e.payload.get("mode")), seen))
        return events

    twin.drain_events = watched_drain  # type: ignore[method-assign]
    kpis = pilot.run(args.days * 24)
    print(
        f"seed {args.seed}, {args.days:g} days, safety threshold {args.safety_threshold}, "
        f"alarm threshold {args.alarm_threshold} x RUL {args.alarm_rul_scale}: "
        f"total cost {kpis.total_cost:,.0f}, failures {kpis.failures}, "
        f"maintenances {kpis.maintenances} ({policy.net_actions_} by the alarm net)"
    )
    for at, machine, mode, seen in failures:
        print(f"failure at {at:.0f} h: {machine} / {mode}")
        for back in LOOK_BACK_H:
            row = next((s for s in seen if round(at - s.hour) == back), None)
            if row is not None:
                print(f"  -{back:3d} h  {row.text}")


if __name__ == "__main__":
    main()
