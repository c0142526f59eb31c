"""The RUL-in-the-loop benchmark: fleet RUL models trained on twin histories, judged on
histories of other seeds; the live monitor's cost per autopilot tick; and, with C-MAPSS data,
the trajectory-driven twin (trained on one half of the engines, judged on the other).

Held-out judging predicts at every hourly row of every held-out history (features are causal,
so this equals a live prediction cut there; `predict_every_row`), each history weighted
equally: the share of rows whose true remaining life lies in [p10, p90], the RMSE of the
median where the true remaining life is within the label cap, and both again at fixed
horizons before failure (one row per history).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from jayul.autopilot import Autopilot
from jayul.autopilot.rul_monitor import (
    RulMonitor,
    TrainingProgress,
    load_or_train,
    twin_fleet_histories,
)
from jayul.bench.policies.trajectory import cmapss_setup
from jayul.bench.rul_twin.rul_policy import compare
from jayul.decide.baselines import Reactive
from jayul.health.rul.fleet import (
    FleetRulModels,
    FleetRulSettings,
    FloatArray,
    Pair,
    predict_every_row,
)
from jayul.health.rul.labels import remaining_life
from jayul.plant.model import Plant
from jayul.twin import Twin

HORIZONS_H = (50, 100, 250)
Step = Callable[[float, str], None]


def evaluate_pair(
    models: FleetRulModels, pair: Pair, histories: Sequence[FloatArray]
) -> dict[str, float]:
    """Held-out figures of one pair's model (see the module docstring)."""
    model = models.models_[pair]
    cap, start = models.settings.cap, models.settings.min_history
    inside: list[float] = []
    err2: list[float] = []
    at: dict[int, list[tuple[float, float, float]]] = {h: [] for h in HORIZONS_H}
    for history in histories:
        dist = predict_every_row(model, history)
        life = remaining_life(len(history))
        lo, mid, hi = dist.p10, dist.p50, dist.p90
        rows = np.arange(min(start, len(history) - 1), len(history))
        w = 1.0 / len(rows)
        inside.append(w * float(np.sum((lo[rows] <= life[rows]) & (life[rows] <= hi[rows]))))
        near = rows[life[rows] <= cap]
        if len(near):
            err2.append(float(np.mean((mid[near] - life[near]) ** 2)))
        for h in HORIZONS_H:
            i = len(history) - 1 - h
            if i >= start:
                at[h].append((lo[i], mid[i], hi[i]))
    out = {
        "histories": float(len(histories)),
        # each history counts once: its share of covered rows, its mean squared error
        "coverage_80_all_rows": float(np.mean(inside)),
        "rmse_p50_within_cap_h": float(np.sqrt(np.mean(err2))) if err2 else float("nan"),
    }
    for h, values in at.items():
        if not values:
            continue
        v = np.array(values)
        out[f"coverage_80_at_{h}h"] = float(np.mean((v[:, 0] <= h) & (h <= v[:, 2])))
        out[f"mean_p50_at_{h}h"] = float(np.mean(v[:, 1]))
        out[f"mean_width_80_at_{h}h"] = float(np.mean(v[:, 2] - v[:, 0]))
    return out


def evaluate(
    models: FleetRulModels, histories: Mapping[Pair, Sequence[FloatArray]]
) -> dict[str, dict[str, float]]:
    return {
        f"{t}/{m}": evaluate_pair(models, (t, m), units)
        for (t, m), units in sorted(histories.items())
        if (t, m) in models.models_
    }


def monitor_overhead(
    plant: Plant, models: FleetRulModels, days: float, seed: int, signal_period_s: float
) -> dict[str, float]:
    """Seconds per autopilot tick (reactive policy, signals on) without and with the RUL
    monitor, on the same seed."""
    out = {}
    for name, with_rul in (("without", False), ("with", True)):
        twin = Twin(plant, seed=seed, signal_period_s=signal_period_s)
        monitor = RulMonitor(plant, models) if with_rul else None
        pilot = Autopilot(twin, Reactive(), rul_monitor=monitor)
        started = time.perf_counter()
        pilot.run(days * 24)
        out[f"ms_per_tick_{name}_rul"] = 1000 * (time.perf_counter() - started) / (days * 24)
    out["ms_per_tick_rul_monitor"] = out["ms_per_tick_with_rul"] - out["ms_per_tick_without_rul"]
    return out


def run_benchmark(
    plant: Plant,
    settings: FleetRulSettings,
    eval_seeds: Sequence[int],
    cache_dir: Path | None,
    overhead_days: float = 30.0,
    progress: TrainingProgress | None = None,
) -> dict[str, Any]:
    """Train (or load) the plant's models, judge them on `eval_seeds`, time the monitor."""
    started = time.perf_counter()
    models, path, cached = load_or_train(plant, settings, cache_dir=cache_dir, progress=progress)
    figures: dict[str, Any] = {
        "plant": plant.name,
        "settings": settings.__dict__,
        "from_cache": cached,
        "cache_file": str(path) if path else None,
        "train_seconds_total": time.perf_counter() - started,
        "training": models.summary_,
    }
    step = _stepper(progress, len(eval_seeds) * int(np.ceil(settings.days)))
    held_out = twin_fleet_histories(plant, settings, seeds=eval_seeds, progress=step)
    figures["held_out_seeds"] = list(eval_seeds)
    figures["held_out"] = evaluate(models, held_out)
    figures["monitor"] = monitor_overhead(
        plant, models, overhead_days, eval_seeds[0], settings.signal_period_s
    )
    return figures


def _stepper(progress: TrainingProgress | None, total: float) -> Step:
    done = 0.0

    def step(units: float, message: str) -> None:
        nonlocal done
        done += units
        if progress:
            progress(done, total, message)

    return step


def run_trajectory_benchmark(
    plant: Plant,
    data_dir: Path,
    settings: FleetRulSettings,
    eval_seeds: Sequence[int],
    cache_dir: Path | None,
    machine_type: str = "pump",
    mode: str = "bearing_wear",
    cycle_h: float = 8.0,
    policy_days: float = 365.0,
    tune_seed: int = 3001,
    progress: TrainingProgress | None = None,
) -> dict[str, Any]:
    """C-MAPSS engines replayed as `machine_type`/`mode`: the RUL model is trained on twin
    runs replaying one half of the engines, judged on runs replaying the other half; then
    reactive, condition-based and RUL-threshold maintenance compared on the replayed half
    (`jayul.bench.rul_twin.rul_policy.compare`)."""
    setup = cmapss_setup(plant, data_dir, machine_type, mode, cycle_h=cycle_h)
    train, replay, tplant = setup.train_engines, setup.replay_engines, setup.plant

    def maker(replayed: bool) -> Callable[[Plant, int, float], Twin]:
        def make(p: Plant, seed: int, period: float) -> Twin:
            return setup.make_twin(seed, replay=replayed, signal_period_s=period)

        return make

    started = time.perf_counter()
    tag = f"traj-{machine_type}-{mode}-{cycle_h:g}h-train{len(train)}"
    models, _, cached = load_or_train(
        tplant, settings, cache_dir=cache_dir, make_twin=maker(False), cache_tag=tag,
        progress=progress,
    )  # fmt: skip
    figures: dict[str, Any] = {
        "engines_train": sorted(train),
        "engines_replayed": sorted(replay),
        "cycle_h": cycle_h,
        "from_cache": cached,
        "train_seconds_total": time.perf_counter() - started,
        "training": models.summary_,
    }
    step = _stepper(progress, len(eval_seeds) * int(np.ceil(settings.days)))
    held_out = twin_fleet_histories(
        tplant, settings, seeds=eval_seeds, make_twin=maker(True), progress=step
    )
    pair = (machine_type, mode)
    figures["held_out"] = evaluate(models, {pair: held_out.get(pair, [])})
    figures["policies_on_replayed_engines"] = compare(
        tplant,
        lambda seed: maker(True)(tplant, seed, settings.signal_period_s),
        models,
        seed=eval_seeds[0],
        tune_seed=tune_seed,
        days=policy_days,
        tune_days=policy_days / 2,
        progress=(lambda message: progress(1.0, 1.0, message)) if progress else None,
    )
    return figures


def quick_settings(days: float, seeds: Sequence[int]) -> FleetRulSettings:
    """Default settings with fewer or shorter training runs (for a quick look or a test)."""
    return replace(FleetRulSettings(), days=days, seeds=tuple(seeds))
