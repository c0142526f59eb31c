"""The policy benchmark: the twin under each maintenance policy, same seeds, same orders.

Baselines are tuned on their own seeds (`tune_seeds`), never on the comparison seeds:
- preventive: one sweep over a grid of intervals, run with every (machine type, failure mode)
  at the same interval; each pair then takes the interval with its lowest own cost (the twin
  charges every maintenance and failure cost to its machine type and failure mode);
- condition-based: a sweep over the indicator threshold;
- predictive: a sweep over its alarm safety net's threshold (None: no net), taking the cheapest
  setting that prevents at least `PREVENTED_TARGET` of the reactive failures on the tuning seeds
  (the issue's bar), or the one preventing most when none does.
Policies that read signals run with the monitor at `signal_period_s` (10 minutes by default)
so a year takes under a minute; the twin's wear, orders and failures do not depend on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from jayul.autopilot import Autopilot
from jayul.autopilot.rul_monitor import load_or_train
from jayul.autopilot.setup import pilot_for
from jayul.bench.policies.trajectory import TrajectorySetup
from jayul.bench.runner import run_tasks
from jayul.decide.baselines import ConditionBased, Preventive, Reactive, parse_intervals
from jayul.decide.named import predictive_kwargs, tuned_settings
from jayul.decide.policy import Policy
from jayul.decide.predictive import Predictive
from jayul.health.rul.fleet import FleetRulModels
from jayul.plant.model import Plant
from jayul.twin import Twin
from jayul.twin.kpis import Kpis

PREVENTIVE_GRID = (200.0, 300.0, 400.0, 500.0, 650.0, 800.0, 1000.0, 1300.0)
CONDITION_GRID = (0.6, 0.8, 1.0, 1.3)
SAFETY_GRID: tuple[float | None, ...] = (None, 1.5, 2.0, 3.0)
PREVENTED_TARGET = 0.95
Progress = Callable[[str], None]
TwinMaker = Callable[..., Twin]  # (seed, signals=, record_events=, signal_period_s=) -> twin


@dataclass(frozen=True)
class RunResult:
    policy: str
    seed: int
    kpis: Kpis
    cost_by_mode: dict[str, float]
    alerts: int


def needs_signals(policy: Policy) -> bool:
    return not isinstance(policy, Reactive | Preventive)


def run_policy(
    plant: Plant,
    policy: Policy,
    seed: int,
    days: float,
    signal_period_s: float = 600.0,
    rul_models: FleetRulModels | None = None,
    make_twin: TwinMaker | None = None,
) -> RunResult:
    """One run of the twin (or of `make_twin`'s, e.g. one replaying recorded degradation)
    under `policy` for `days`."""
    signals = needs_signals(policy)
    options: dict[str, Any] = {
        "signals": signals,
        "record_events": signals,
        "signal_period_s": signal_period_s,
    }
    twin = make_twin(seed, **options) if make_twin else Twin(plant, seed=seed, **options)
    if signals:
        pilot = pilot_for(plant, twin, policy, rul_models=rul_models)
    else:
        pilot = Autopilot(twin, policy)
    kpis = pilot.run(days * 24)
    return RunResult(policy.name, seed, kpis, dict(twin.ledger.cost_by_mode), pilot.counters.alerts)


def tune_preventive(
    plant: Plant,
    seeds: Sequence[int],
    days: float,
    grid: Sequence[float] = PREVENTIVE_GRID,
    progress: Progress | None = None,
    make_twin: TwinMaker | None = None,
) -> dict[str, float]:
    """The interval per "type/mode" with the lowest mean cost of that mode over `seeds`."""
    pairs = [(t, f.id) for t, mt in plant.machine_types.items() for f in mt.failure_modes]
    cost: dict[str, list[float]] = {f"{t}/{m}": [] for t, m in pairs}
    for interval in grid:
        policy = Preventive({pair: interval for pair in pairs})
        runs = [run_policy(plant, policy, s, days, make_twin=make_twin) for s in seeds]
        for key in cost:
            cost[key].append(float(np.mean([r.cost_by_mode.get(key, 0.0) for r in runs])))
        if progress:
            progress(f"preventive interval {interval:.0f} h")
    return {key: float(grid[int(np.argmin(c))]) for key, c in cost.items()}


def tune_condition(
    plant: Plant,
    seeds: Sequence[int],
    days: float,
    grid: Sequence[float] = CONDITION_GRID,
    signal_period_s: float = 600.0,
    progress: Progress | None = None,
    make_twin: TwinMaker | None = None,
) -> float:
    """The indicator threshold with the lowest mean total cost over `seeds`."""
    means = []
    for threshold in grid:
        runs = [
            run_policy(
                plant, ConditionBased(threshold), s, days, signal_period_s, make_twin=make_twin
            )
            for s in seeds
        ]
        means.append(float(np.mean([r.kpis.total_cost for r in runs])))
        if progress:
            progress(f"condition threshold {threshold:.2f}")
    return float(grid[int(np.argmin(means))])


def tune_predictive(
    plant: Plant,
    seeds: Sequence[int],
    days: float,
    fallback_threshold: float,
    rul_models: FleetRulModels,
    grid: Sequence[float | Mapping[str, Any] | None] = SAFETY_GRID,
    signal_period_s: float = 600.0,
    progress: Progress | None = None,
    make_twin: TwinMaker | None = None,
    max_cost: float | None = None,
) -> tuple[Any, list[dict[str, Any]]]:
    """The predictive policy's setting chosen by `choose_setting` over `grid` on `seeds`. A
    grid entry is the safety net's threshold (None: no net) or a dict of `Predictive`
    keyword arguments (e.g. `alarm_threshold`, `alarm_rul_scale`). Returns the chosen entry
    and every entry's figures (mean total cost over `seeds`, failures, prevented against the
    reactive run on the same seeds)."""
    reactive = [run_policy(plant, Reactive(), s, days, make_twin=make_twin) for s in seeds]
    base = sum(r.kpis.failures for r in reactive)
    sweep: list[dict[str, Any]] = []
    for entry in grid:
        kwargs = dict(entry) if isinstance(entry, Mapping) else {"safety_threshold": entry}
        runs = [
            run_policy(
                plant,
                Predictive(fallback_threshold=fallback_threshold, **kwargs),
                s,
                days,
                signal_period_s,
                rul_models,
                make_twin,
            )
            for s in seeds
        ]
        failures = sum(r.kpis.failures for r in runs)
        sweep.append(
            {
                "safety_threshold": kwargs.get("safety_threshold"),
                "setting": kwargs,
                "total_cost": float(np.mean([r.kpis.total_cost for r in runs])),
                "maintenance_cost": float(np.mean([r.kpis.maintenance_cost for r in runs])),
                "failures": failures / len(runs),
                "prevented": 1.0 - failures / base if base else 0.0,
                "on_time_rate": float(np.mean([r.kpis.on_time_rate for r in runs])),
            }
        )
        if progress:
            progress(f"predictive {kwargs}: {sweep[-1]}")
    row = choose_setting(sweep, max_cost=max_cost)
    chosen = (
        row["setting"] if any(isinstance(e, Mapping) for e in grid) else row["safety_threshold"]
    )
    return chosen, sweep


def choose_setting(
    sweep: Sequence[dict[str, Any]], target: float = PREVENTED_TARGET, max_cost: float | None = None
) -> Any:
    """The cheapest row (`total_cost`) with `prevented` >= `target` and, when `max_cost` is
    given, `total_cost` <= `max_cost`; else the cheapest with `prevented` >= `target`; else
    the row preventing most (the cheapest of those)."""
    meeting = [row for row in sweep if row["prevented"] >= target]
    both = [row for row in meeting if max_cost is None or row["total_cost"] <= max_cost]
    if both:
        return min(both, key=lambda row: row["total_cost"])
    if meeting:
        return min(meeting, key=lambda row: row["total_cost"])
    return min(sweep, key=lambda row: (-row["prevented"], row["total_cost"]))


def _stat(values: Sequence[float]) -> dict[str, float]:
    return {"mean": float(np.mean(values)), "std": float(np.std(values))}


def summarise(runs: Sequence[RunResult], reactive: Sequence[RunResult]) -> dict[str, Any]:
    """Mean and spread of each figure; failures prevented against reactive on the same seed."""
    base = {r.seed: r.kpis.failures for r in reactive}
    prevented = [1.0 - r.kpis.failures / base[r.seed] if base.get(r.seed) else 0.0 for r in runs]
    out: dict[str, Any] = {
        name: _stat([float(getattr(r.kpis, name)) for r in runs])
        for name in (
            "total_cost",
            "maintenance_cost",
            "failure_cost",
            "tardiness_cost",
            "failures",
            "maintenances",
            "downtime_h",
            "oee",
            "on_time_rate",
            "throughput",
        )
    }
    out["failures_prevented"] = _stat(prevented)
    # each seed's own figures, so that a mean can be traced to the seed that moved it
    out["per_seed"] = [
        {
            "seed": r.seed,
            "total_cost": r.kpis.total_cost,
            "tardiness_cost": r.kpis.tardiness_cost,
            "on_time_rate": r.kpis.on_time_rate,
            "failures": r.kpis.failures,
            "maintenances": r.kpis.maintenances,
            "orders_done": r.kpis.orders_done,
        }
        for r in runs
    ]
    return out


def compare(
    plant: Plant,
    policies: dict[str, Callable[[], Policy]],
    seeds: Sequence[int],
    days: float,
    signal_period_s: float = 600.0,
    progress: Progress | None = None,
    rul_models: FleetRulModels | None = None,
    make_twin: TwinMaker | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """Every policy on every seed; the summary per policy (reactive always included). With
    `jobs` > 1 the runs go to that many Ray tasks or forked processes (`jayul.bench.runner`);
    each run is a function of its policy and seed alone (a predictive policy with a
    deterministic planning budget included), so the figures are the same either way, only
    sooner."""
    factories = {"reactive": Reactive, **policies}
    pairs = [(name, seed) for name in factories for seed in seeds]

    def one(name: str, seed: int) -> RunResult:
        factory = factories[name]
        return run_policy(plant, factory(), seed, days, signal_period_s, rul_models, make_twin)

    def finished(_: int, run: RunResult) -> None:
        if progress:
            progress(_told(run))

    # with jobs > 1: Ray tasks when Ray is installed, else forked workers that inherit the
    # factories (closures, which the standard pickle cannot send)
    done = run_tasks(lambda pair: one(*pair), pairs, jobs, finished, pool="fork")
    results = dict(zip(pairs, done, strict=True))
    runs = {name: [results[(name, seed)] for seed in seeds] for name in factories}
    return {name: summarise(r, runs["reactive"]) for name, r in runs.items()}


def _told(run: RunResult) -> str:
    """One finished run in a line, so that a long comparison's log shows figures as it goes."""
    k = run.kpis
    return (
        f"{run.policy} seed {run.seed}: total cost {k.total_cost:,.0f}, failures {k.failures}, "
        f"tardiness {k.tardiness_cost:,.0f}, on time {k.on_time_rate:.5%}"
    )


def run_benchmark(
    plant: Plant,
    days: float = 365.0,
    seeds: int = 5,
    tune_seeds: int = 2,
    tune_days: float | None = None,
    signal_period_s: float = 600.0,
    preventive_grid: Sequence[float] = PREVENTIVE_GRID,
    condition_grid: Sequence[float] = CONDITION_GRID,
    safety_grid: Sequence[float | None] | None = None,
    progress: Progress | None = None,
    predictive: bool = True,
    rul_models: FleetRulModels | None = None,
    trajectories: TrajectorySetup | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """Tune the baselines and the predictive policy's safety net on seeds 1000.., then compare
    every policy on seeds 0..seeds-1. The predictive policy's RUL models come from the fleet
    cache or are trained on their own twin seeds (`FleetRulSettings.seeds`), never on a
    comparison seed. The predictive safety net's threshold is swept over `safety_grid` on the
    tuning seeds when one is given (several predictive runs: tens of minutes for a year);
    otherwise it is the plant's shipped setting (`jayul.bench.policies.tune_predictive
    --ship`), none for the trajectory-driven twin, which was not tuned."""
    make_twin: TwinMaker | None = None
    if trajectories is not None:  # every twin replays the held-out recorded engines
        plant = trajectories.plant
        make_twin = trajectories.make_twin
    tuning = [1000 + i for i in range(tune_seeds)]
    tdays = tune_days or days
    intervals = tune_preventive(plant, tuning, tdays, preventive_grid, progress, make_twin)
    threshold = tune_condition(
        plant, tuning, tdays, condition_grid, signal_period_s, progress, make_twin
    )
    pairs = parse_intervals(intervals)
    factories: dict[str, Callable[[], Policy]] = {
        "preventive": lambda: Preventive(pairs),
        "condition": lambda: ConditionBased(threshold),
    }
    tuned_net: dict[str, Any] = {}
    if predictive and rul_models is None and trajectories is not None:
        setup = trajectories  # the RUL models learn from the training engines only
        rul_models = load_or_train(
            plant,
            make_twin=lambda p, s, per: setup.make_twin(s, replay=False, signal_period_s=per),
            cache_tag=f"traj-{setup.machine_type}-{setup.mode}-{len(setup.train_engines)}",
        )[0]
    if predictive:
        rul_models = rul_models or load_or_train(plant)[0]
        overlap = set(rul_models.settings.seeds) & set(range(seeds))
        if overlap:
            raise ValueError(f"RUL training seeds {sorted(overlap)} overlap comparison seeds")
        shipped: dict[str, Any] = (
            {} if trajectories is not None else predictive_kwargs(tuned_settings(plant))
        )
        tuned_net["source"] = "shipped" if trajectories is None else "none"
        if safety_grid:
            chosen, sweep = tune_predictive(
                plant,
                tuning,
                tdays,
                threshold,
                rul_models,
                safety_grid,
                signal_period_s,
                progress,
                make_twin,
            )
            shipped = dict(chosen) if isinstance(chosen, Mapping) else {"safety_threshold": chosen}
            tuned_net["sweep"] = sweep
            tuned_net["source"] = "swept on the tuning seeds"
        tuned_net["setting"] = shipped
        factories["predictive"] = lambda: Predictive(fallback_threshold=threshold, **shipped)
    summary = compare(
        plant,
        factories,
        list(range(seeds)),
        days,
        signal_period_s,
        progress,
        rul_models,
        make_twin,
        jobs,
    )
    return {
        "plant": plant.name,
        "days": days,
        "seeds": seeds,
        "tune_seeds": tuning,
        "signal_period_s": signal_period_s,
        "trajectories": None
        if trajectories is None
        else {
            "machine_type": trajectories.machine_type,
            "mode": trajectories.mode,
            "train_engines": len(trajectories.train_engines),
            "replayed_engines": len(trajectories.replay_engines),
            "cycle_h": trajectories.cycle_h,
        },
        "tuned": {
            "preventive": {"intervals": intervals},
            "condition": {"threshold": threshold},
            **({"predictive": tuned_net["setting"]} if predictive else {}),
        },
        "predictive_tuning": {
            "source": tuned_net.get("source"),
            "sweep": tuned_net.get("sweep", []),
        },
        "policies": summary,
    }
