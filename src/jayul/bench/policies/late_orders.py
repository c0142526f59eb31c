"""Which orders a policy delivers late, and what their machines did before.

    python -m jayul.bench.policies.late_orders --seed 3 --days 365 [--policy predictive]

Runs the demo plant's twin under a named policy exactly as `jayul bench policies` builds it
(the shipped tuned settings, signals every 600 s, the fleet RUL models for the predictive
policy) and prints every order finished after its due date, and every order still open past
it at the end: its release, due date and lateness, where each of its operations ran, and
every maintenance, failure and repair on the machines that could run them between its release
and its completion, with the reason the policy gave for each maintenance it asked for. It only
observes: the policy decides exactly as it would without it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from jayul.autopilot.rul_monitor import load_or_train
from jayul.autopilot.setup import pilot_for
from jayul.bench.policies.harness import run_policy
from jayul.decide.baselines import Reactive
from jayul.decide.named import POLICY_NAMES, make_policy
from jayul.decide.policy import Observation
from jayul.plant import demo_plant_path, load_plant
from jayul.plant.model import Plant
from jayul.records import Action, Event, EventKind
from jayul.twin import Twin

_MACHINE_EVENTS = (
    EventKind.MAINTENANCE_START,
    EventKind.MAINTENANCE_END,
    EventKind.FAILURE,
    EventKind.REPAIR_START,
    EventKind.REPAIR_END,
)


@dataclass
class OrderTrace:
    order: int
    product: str
    release_h: float
    due_h: float
    done_h: float | None = None
    ops: list[str] = field(default_factory=list)


@dataclass
class Watch:
    """What happened, hour by hour: orders, their operations, and machine stops."""

    orders: dict[int, OrderTrace] = field(default_factory=dict)
    stops: list[tuple[float, str, str]] = field(default_factory=list)  # (hour, machine, text)
    late: list[OrderTrace] = field(default_factory=list)

    def see(self, now_h: float, events: list[Event]) -> None:
        for e in events:
            p = e.payload
            if e.kind is EventKind.ORDER_RELEASED:
                oid = int(p["order"])
                self.orders[oid] = OrderTrace(oid, str(p["product"]), now_h, float(p["due_h"]))
            elif e.kind is EventKind.OPERATION_START and int(p["order"]) in self.orders:
                self.orders[int(p["order"])].ops.append(
                    f"op {p['op']} {p['name']} on {e.machine} from {now_h:.1f} h"
                )
            elif e.kind is EventKind.ORDER_DONE:
                trace = self.orders.pop(int(p["order"]), None)
                if trace is not None and float(p.get("late_h", 0.0)) > 0:
                    trace.done_h = now_h
                    self.late.append(trace)
            elif e.kind in _MACHINE_EVENTS and e.machine:
                detail = ", ".join(f"{k} {v}" for k, v in p.items())
                self.stops.append((now_h, e.machine, f"{e.kind.value} ({detail})"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--policy", choices=POLICY_NAMES, default="predictive")
    args = parser.parse_args(argv)
    plant = load_plant(demo_plant_path())
    policy = make_policy(args.policy, plant)
    twin = Twin(plant, seed=args.seed, signals=True, record_events=True, signal_period_s=600.0)
    rul = load_or_train(plant)[0] if args.policy == "predictive" else None
    pilot = pilot_for(plant, twin, policy, rul_models=rul)
    asked: list[tuple[float, str, str]] = []
    inner_decide = policy.decide

    def telling_decide(p: Plant, obs: Observation) -> list[Action]:
        actions = inner_decide(p, obs)
        for a in actions:
            asked.append((obs.now_h, a.machine, f"asked {a.params}: {a.expected_effect}"))
        return actions

    policy.decide = telling_decide  # type: ignore[method-assign, assignment]
    watch = Watch()
    drain = twin.drain_events

    def watched_drain() -> list[Event]:
        events = drain()
        watch.see(twin.now_h, events)
        return events

    twin.drain_events = watched_drain  # type: ignore[method-assign]
    kpis = pilot.run(args.days * 24)
    still_open = [t for t in watch.orders.values() if t.due_h < twin.now_h]
    reactive = run_policy(plant, Reactive(), args.seed, args.days).kpis.failures
    prevented = 1.0 - kpis.failures / reactive if reactive else 0.0
    print(
        f"seed {args.seed}, {args.days:g} days, {args.policy}: total cost "
        f"{kpis.total_cost:,.0f}, tardiness cost {kpis.tardiness_cost:,.1f}, on time "
        f"{kpis.on_time_rate:.5%}, orders done {kpis.orders_done}, failures {kpis.failures}, "
        f"maintenances {kpis.maintenances}, prevented {prevented:.1%} (reactive: {reactive} "
        f"failures); late orders {len(watch.late)}, open past due "
        f"{len(still_open)}"
    )
    for trace in [*watch.late, *still_open]:
        end = trace.done_h if trace.done_h is not None else twin.now_h
        print(
            f"order {trace.order} ({trace.product}): released {trace.release_h:.1f} h, due "
            f"{trace.due_h:.1f} h, done {end:.1f} h ({end - trace.due_h:.2f} h late)"
        )
        for op in trace.ops:
            print(f"  {op}")
        for at, machine, text in sorted([*watch.stops, *asked], key=lambda row: (row[0], row[1])):
            if trace.release_h - 24 <= at <= end:
                print(f"  {at:8.1f} h {machine:6s} {text}")


if __name__ == "__main__":
    main()
