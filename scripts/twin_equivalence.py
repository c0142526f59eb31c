"""Is the twin unchanged to the bit? One fingerprint line per run, to diff before and after.

A change meant to make the twin faster must not change its results. Run this on the code
before (a worktree of it: `PYTHONPATH=/path/to/before/src python scripts/twin_equivalence.py`)
and after, and diff the two outputs. Each line hashes a run's KPIs, ledger, machines, timers,
queue, orders, crews, events, samples and the state of every random stream. The runs cover
what the twin's users do: year-long runs, signals at two periods, short ticks, maintenance
requests, setpoint changes, early sign-offs, forks (same future, new seed, with signals, on
plants drawn from a calibration's uncertainty), signals switched on part-way, the verifier,
the autopilot under the baselines, and the Gymnasium environment. `--quick`: 60-day runs
instead of a year (about 30 CPU seconds).
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from pathlib import Path

import jayul
from jayul.plant import load_demo_plant
from jayul.plant.load import load_plant
from jayul.records import Action, ActionKind
from jayul.twin import Twin

print("# jayul from", jayul.__file__, file=sys.stderr)
ROOT = Path(jayul.__file__).parents[2]
OUT: list[str] = []
QUICK = "--quick" in sys.argv


def h(obj: object) -> str:
    return hashlib.sha256(repr(obj).encode()).hexdigest()[:16]


def state(t: Twin) -> dict[str, str]:
    machines = [
        (
            m.id,
            str(m.status),
            sorted(m.health.items()),
            sorted(m.run_hours_since.items()),
            m.load,
            m.op,
            m.op_started_h,
            sorted(m.setpoints.items()),
            list(m.pending_maintenance),
            m.failed_mode,
            m.last_change_h,
            m.unavailable_since_h,
        )
        for m in t.machines.values()
    ]
    timers = [(k, v.due_h, v.handler, v.args) for k, v in sorted(t.timers.items())]
    ready = [(o.order_id, o.index, o.done) for o in t.ready]
    orders = [
        (o.id, o.product, o.release_h, o.due_h, o.next_op, o.done_h) for o in t.orders.values()
    ]
    rngs = [t.rng_orders.bit_generator.state, t.rng_sensors.bit_generator.state]
    rngs += [r.bit_generator.state for r in t.rng_wear.values()]
    rngs += [r.bit_generator.state for r in t.rng_ops.values()]
    ev = [(e.time, e.machine, str(e.kind), sorted(e.payload.items())) for e in t.drain_events()]
    s = t.drain_samples()
    samples = (
        s.time.tobytes(),
        list(s.machine),
        list(s.signal),
        s.value.tobytes(),
        s.quality.tobytes(),
    )
    return {
        "now": repr(t.now_h),
        "kpis": h(t.kpis().as_dict()),
        "total": repr(t.total_cost()),
        "ledger": h(dataclasses.asdict(t.ledger)),
        "machines": h(machines),
        "timers": h(timers),
        "ready": h(ready),
        "orders": h(orders),
        "crews": h((sorted(t.crews_free.items()), t.crew_queue)),
        "rngs": h(rngs),
        "events": f"{len(ev)}:{h(ev)}",
        "samples": f"{len(s)}:{h(samples)}",
        "cost": repr(t.kpis().total_cost),
    }


def out(name: str, t: Twin) -> None:
    line = f"{name}: " + " ".join(f"{k}={v}" for k, v in state(t).items())
    OUT.append(line)
    print(line, flush=True)


def act(t: Twin, machine: str, action: str) -> Action:
    return Action(
        time=t.time_ns(),
        machine=machine,
        kind=ActionKind.START_MAINTENANCE,
        params={"action": action},
        origin="equiv",
    )


demo = load_demo_plant()
small = load_plant(ROOT / "tests/calibrate/small_plant.yaml")
wiener = demo.model_copy(deep=True)
for mt in wiener.machine_types.values():
    mt.failure_modes[0] = mt.failure_modes[0].model_copy(update={"process": "wiener"})

year = 24 * (60 if QUICK else 365)
# 1. plain runs
for seed in (0, 1, 2):
    t = Twin(demo, seed=seed, signals=False)
    t.run_until(year)
    out(f"demo-nosig-noevents-{seed}", t)
for seed in (3,):
    t = Twin(demo, seed=seed, signals=False, record_events=True)
    t.run_until(year)
    out(f"demo-nosig-events-{seed}", t)
for plant, name in ((small, "small"), (wiener, "wiener")):
    t = Twin(plant, seed=4, signals=False)
    t.run_until(year / 2)
    out(f"{name}-nosig", t)
    t = Twin(plant, seed=4, signals=True, signal_period_s=600)
    t.run_until(24 * 20)
    out(f"{name}-sig", t)
# 2. signals, default and coarse periods, in pieces
t = Twin(demo, seed=5)
for k in range(1, 8):
    t.run_until(24 * k + 0.37 * k)
    out(f"demo-sig-piece{k}", t)
t = Twin(demo, seed=6, signal_period_s=600)
t.run_until(24 * 30)
out("demo-sig600", t)
# 3. ticks of 0.1 h, and odd steps
t = Twin(demo, seed=7, tick_h=0.1, signals=False)
t.run_until(24 * 20)
out("demo-tick01", t)
t = Twin(demo, seed=8, tick_h=0.25, signals=True, signal_period_s=300)
for _ in range(200):
    t.step(0.33)
out("demo-tick025-sig", t)
# 4. interventions
for signals in (False, True):
    t = Twin(demo, seed=9, signals=signals, signal_period_s=600)
    t.run_until(100)
    t.request_maintenance("pump1", "overhaul")
    t.request_maintenance("cnc1", "spindle_service")
    t.set_setpoint("pump1", "speed_rpm", 1600)
    t.run_until(100.5)
    t.end_maintenance_now("pump1")
    t.run_until(300)
    for mid in t.machines:
        for a in t.machine_type(mid).maintenance:
            t.request_maintenance(mid, a.id)
    t.run_until(303.3)
    for mid in t.machines:
        t.end_maintenance_now(mid)
    t.run_until(900)
    out(f"demo-interventions-sig{signals}", t)
# 5. forks
parent = Twin(demo, seed=10, signals=False)
parent.run_until(24 * 40 + 0.5)
kids = {
    "same": parent.fork(),
    "seed": parent.fork(seed=3),
    "sig": parent.fork(signals=True),
    "sigseed": parent.fork(seed=4, signals=True),
}
from jayul.calibrate.uncertainty import sample_plants  # noqa: E402

draws = sample_plants(demo, {}, 3, seed=2)
for i, d in enumerate(draws):
    kids[f"draw{i}"] = parent.fork(seed=i, plant=d)
kids["drawnoseed"] = parent.fork(plant=draws[0])
kids["drawsig"] = parent.fork(seed=1, plant=draws[1], signals=True)
kids["same"].request_maintenance("pump1", "overhaul")
for name, k in kids.items():
    k.run_until(24 * 80)
    out(f"fork-{name}", k)
    g = k.fork(seed=5)
    g.run_until(24 * 90)
    out(f"fork-{name}-grandchild", g)
parent.run_until(24 * 80)
out("fork-parent", parent)
sp = Twin(demo, seed=11, signals=True)
sp.run_until(50)
f = sp.fork(signals=True)
f.run_until(75)
out("fork-of-signals", f)
# 6. signals switched on part-way
for when in (400.0, 401.7):
    t = Twin(demo, seed=7, signals=False, signal_period_s=None)
    t.run_until(when)
    t.start_signals()
    t.run_until(when + 30)
    out(f"start-signals-{when}", t)
    t = Twin(demo, seed=7, signals=False, signal_period_s=600)
    t.run_until(when)
    t.start_signals()
    t.request_maintenance("cnc2", "spindle_service")
    t.run_until(when + 30)
    out(f"start-signals600-{when}", t)
# 7. the verifier, with and without plant draws
from jayul.verify import Verifier  # noqa: E402

t = Twin(demo, seed=3, signals=False)
t.run_until(24 * 10)
for draws_ in (None, draws):
    v = Verifier(futures=3, horizon_h=24 * 5, plant_draws=draws_).verify(
        t, [(0.0, act(t, "pump1", "overhaul")), (5.0, act(t, "cnc1", "spindle_service"))]
    )
    line = f"verifier-draws{draws_ is not None}: {v.accept} {v.reason} {h(v.futures)} "
    line += f"{h(v.expected_proposed)} {h(v.expected_current)}"
    OUT.append(line)
    print(line, flush=True)
out("verifier-parent", t)
# 8. the autopilot under the baselines (the policy benchmark's runs)
from jayul.bench.policies.harness import run_policy  # noqa: E402
from jayul.decide.baselines import ConditionBased, Preventive, Reactive  # noqa: E402

pairs = [(tn, fm.id) for tn, mt in demo.machine_types.items() for fm in mt.failure_modes]
days = 20 if QUICK else 45
for seed in (0, 1):
    for pol in (Reactive(), Preventive({p: 300.0 for p in pairs}), ConditionBased(1.0)):
        r = run_policy(demo, pol, seed, days)
        line = f"policy-{pol.name}-{seed}: {h(r.kpis.as_dict())} "
        line += f"{h(sorted(r.cost_by_mode.items()))} {r.alerts} {r.kpis.total_cost!r}"
        OUT.append(line)
        print(line, flush=True)
# 9. the Gymnasium environment
from jayul.agents.gym import DecidePolicyAgent, TwinEnv  # noqa: E402

for agent in (
    DecidePolicyAgent(demo, Reactive()),
    DecidePolicyAgent(demo, Preventive({p: 300.0 for p in pairs})),
):
    env = TwinEnv(demo, days=30)
    obs, _ = env.reset(seed=2)
    rets = []
    done = False
    while not done:
        obs, r, term, trunc, info = env.step(agent.act(obs))
        rets.append(float(r))
        done = term or trunc
    assert env.twin is not None
    out(f"gym-{agent!r}"[:40].replace(" ", "_"), env.twin)
    OUT.append(f"gym-rewards: {h(rets)}")
    print(OUT[-1])
