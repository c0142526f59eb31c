"""Tune the predictive policy's alarm safety net on tuning seeds and ship it for the plant.

    python -m jayul.bench.policies.tune_predictive --days 365 --seeds 1000,1001 \
        --settings '[{"alarm_threshold": 1.5, "alarm_rul_scale": 0.3}]' --cost-bound 0.7 \
        --report sweep.json [--ship]

(or `--grid none,1.5,2,3`: safety-net thresholds alone). With `--cost-bound F` the shipped
baselines (tuned preventive intervals, tuned condition threshold) run on the same seeds first,
and the choice is the cheapest setting that prevents at least 95 % of the reactive failures
and costs at most F times the best baseline's mean; if none does both, the cheapest that
prevents 95 %; else the one preventing most.

Runs `jayul.bench.policies.tune_predictive` (reactive and every grid value on the same seeds,
the RUL models from the fleet cache) with the plant's shipped condition threshold as the
fallback for unwatched machines; `--ship` writes the chosen threshold into
`jayul/decide/tuned/<plant>.json` next to the baselines' settings. Seeds must be tuning seeds
(1000 and up), never the comparison seeds 0.. of `jayul bench policies`. It runs apart from
`jayul bench policies` because a predictive run costs minutes (one CP-SAT re-plan per event).
"""

from __future__ import annotations

import argparse
import json
import time
from importlib import resources
from pathlib import Path
from typing import Any

from jayul.autopilot.rul_monitor import load_or_train
from jayul.bench.policies.harness import run_policy, tune_predictive
from jayul.decide.named import make_policy, tuned_settings
from jayul.decide.predictive import Predictive
from jayul.plant import demo_plant_path, load_plant


def _grid(text: str) -> list[float | None]:
    return [None if v.strip().lower() == "none" else float(v) for v in text.split(",")]


def _settings(text: str) -> list[dict[str, Any]]:
    """A JSON list of `Predictive` keyword-argument dicts, each checked by building the policy
    (argparse turns the ValueError into a usage error before any long run starts)."""
    data = json.loads(text)  # a JSONDecodeError is a ValueError
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ValueError("--settings takes a JSON list of objects")
    for entry in data:
        try:
            Predictive(**entry)
        except TypeError as exc:
            raise ValueError(f"{entry}: {exc}") from exc
    return data


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=120.0)
    parser.add_argument("--seeds", default="1000,1001")
    parser.add_argument("--grid", type=_grid, default="none,1.5,2,3")
    parser.add_argument("--settings", type=_settings, help="JSON list of Predictive kwargs")
    parser.add_argument("--cost-bound", type=float, default=None)
    parser.add_argument("--plant", type=Path, default=None)
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--ship", action="store_true", help="write the choice into tuned/")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    if min(seeds) < 1000:
        parser.error("tuning seeds are 1000 and up; 0.. are the comparison seeds")
    plant = load_plant(args.plant or demo_plant_path())
    settings = tuned_settings(plant)
    fallback = float(settings.get("condition", {}).get("threshold", 1.0))
    t0 = time.time()

    def progress(what: str) -> None:
        print(f"{time.time() - t0:7.0f} s  {what}", flush=True)

    baselines: dict[str, float] = {}
    max_cost = None
    if args.cost_bound is not None:
        for name in ("preventive", "condition"):
            runs = [run_policy(plant, make_policy(name, plant), s, args.days) for s in seeds]
            baselines[name] = sum(r.kpis.total_cost for r in runs) / len(runs)
            progress(f"{name} (shipped setting): mean total cost {baselines[name]:,.0f}")
        max_cost = args.cost_bound * min(baselines.values())
    grid: list[Any] = args.settings if args.settings else args.grid
    chosen, sweep = tune_predictive(
        plant,
        seeds,
        args.days,
        fallback,
        load_or_train(plant)[0],
        grid,
        progress=progress,
        max_cost=max_cost,
    )
    out = {"plant": plant.name, "days": args.days, "seeds": seeds, "fallback_threshold": fallback}
    out |= {"baselines": baselines, "max_cost": max_cost, "sweep": sweep, "chosen": chosen}
    print(json.dumps(out, indent=2))
    if args.report is not None:
        args.report.write_text(json.dumps(out, indent=2) + "\n")
    if args.ship:
        path = Path(str(resources.files("jayul.decide").joinpath(f"tuned/{plant.name}.json")))
        settings["predictive"] = (
            dict(chosen) if isinstance(chosen, dict) else {"safety_threshold": chosen}
        )
        path.write_text(json.dumps(settings, indent=2) + "\n")


if __name__ == "__main__":
    main()
