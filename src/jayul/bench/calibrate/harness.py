"""`jayul bench calibrate`: recover a plant the calibration never saw.

The truth plant is simulated for a year under a fixed preventive-maintenance policy (so that
some runs end in maintenance: censored); only what a real plant exposes is kept (signals and
events in a historian; no health index, no parameters). The calibration starts from the
truth's structure with every simulation parameter blanked to a generic prior, so nothing of
the truth's numbers can leak in. Reported: relative errors of each mode's mean time to
failure, mean repair time and mean processing time; KPIs of the calibrated and the truth
twin on fresh seeds under the same policy; the time the calibration took; with
`decision_days`, the decision test (`decision.py`).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from jayul.calibrate import calibrate
from jayul.calibrate.lifetimes import mean_life
from jayul.historian import open_historian
from jayul.plant.model import Plant, modelled
from jayul.twin import Twin

PM_EVERY_H = 1500.0  # the truth's preventive maintenance: each machine's first action
SIGNAL_PERIOD_S = 600.0


def blank(plant: Plant) -> Plant:
    """The plant's structure with every simulation parameter replaced by a generic prior."""
    data = plant.model_dump(mode="json")
    for mt in data["machine_types"].values():
        for fm in mt["failure_modes"]:
            fm.update(wear_per_h=1e-3, shape_per_h=0.02, onset=0.3, effects={}, repair_h=8.0)
            fm["process"] = "gamma"
        for action in mt["maintenance"]:
            action["duration_h"] = 4.0
        mt["operations"] = {op: 1.0 for op in mt["operations"]}
        for sig in mt["signals"]:
            sig.update(nominal=(sig["low"] + sig["high"]) / 2, noise=1.0, load_gain=0.0)
            sig["ambient_gain"] = 0.0
    data["orders"]["arrivals_per_h"] = 1.0
    data["orders"]["due_after_h"] = [8.0, 72.0]
    return Plant.model_validate(data)


def run_with_policy(
    plant: Plant,
    seed: int,
    days: float,
    *,
    signals: bool,
    sink: Callable[[Twin], None] | None = None,
) -> Twin:
    """The plant under the benchmark's fixed preventive-maintenance policy, a day at a time."""
    twin = Twin(plant, seed=seed, signals=signals, signal_period_s=SIGNAL_PERIOD_S)
    next_pm = {m.id: 300.0 + 97.0 * i for i, m in enumerate(plant.machines)}
    t = 0.0
    while t < days * 24:
        t = min(t + 24.0, days * 24)
        twin.run_until(t)
        for m in plant.machines:
            if t >= next_pm[m.id]:
                twin.request_maintenance(m.id, plant.machine_type(m.id).maintenance[0].id)
                next_pm[m.id] += PM_EVERY_H
        if sink is not None:
            sink(twin)
    return twin


def _rel(est: float, truth: float) -> float:
    return abs(est - truth) / abs(truth) if truth else float("nan")


def recovery(truth: Plant, cal: Plant, params: dict[str, Any]) -> dict[str, Any]:
    """Relative errors of mean life, repair time and processing time against the truth."""
    mttf: dict[str, float] = {}
    repair: dict[str, float] = {}
    proc: dict[str, float] = {}
    for name, mt in truth.machine_types.items():
        cmt = cal.machine_types[name]
        for fm, cfm in zip(mt.failure_modes, cmt.failure_modes, strict=True):
            key = f"{name}/{fm.id}"
            if params[f"{key}.wear_per_h"].prior:
                continue  # no failures: nothing to recover
            truth_life = _truth_life(
                fm.process,
                modelled(fm.wear_per_h, "wear_per_h"),
                modelled(fm.shape_per_h, "shape_per_h"),
            )
            mttf[key] = _rel(params[f"{key}.mttf_wear_h"].value, truth_life)
            if not params[f"{key}.repair_h"].prior:
                repair[key] = _rel(
                    modelled(cfm.repair_h, "repair_h"), modelled(fm.repair_h, "repair_h")
                )
        for op, hours in mt.operations.items():
            if not params[f"{name}/{op}.hours_per_work"].prior:
                proc[f"{name}/{op}"] = _rel(cmt.operations[op], hours)

    def med(d: dict[str, float]) -> float | None:
        return float(np.median(list(d.values()))) if d else None

    return {
        "mttf": {"median_rel_error": med(mttf), "per_mode": mttf},
        "repair_h": {"median_rel_error": med(repair), "per_mode": repair},
        "processing_h": {"median_rel_error": med(proc), "per_operation": proc},
    }


def _truth_life(process: str, mu: float, k: float) -> float:
    return mean_life("gamma" if process == "gamma" else "wiener", mu, k)


KPI_KEYS = ("failures", "downtime_h", "oee")


def kpi_backtest(truth: Plant, cal: Plant, days: float, seeds: list[int]) -> dict[str, Any]:
    """Mean KPIs of the truth and the calibrated twin on fresh seeds, same policy."""
    out: dict[str, Any] = {}
    runs: dict[str, dict[str, list[float]]] = {"truth": {}, "calibrated": {}}
    for label, plant in (("truth", truth), ("calibrated", cal)):
        for s in seeds:
            k = run_with_policy(plant, s, days, signals=False).kpis().as_dict()
            for key in KPI_KEYS:
                runs[label].setdefault(key, []).append(float(k[key]))
    for key in KPI_KEYS:
        t = float(np.mean(runs["truth"][key]))
        c = float(np.mean(runs["calibrated"][key]))
        # the noise of the comparison itself: the standard error of the mean difference over
        # the seeds, relative to the truth's mean (a few seeds of a plant with tens of failures
        # a year cannot tell a 10 % difference from chance)
        diff = np.subtract(runs["calibrated"][key], runs["truth"][key])
        se = float(np.std(diff, ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else None
        out[key] = {
            "truth": round(t, 4),
            "calibrated": round(c, 4),
            "rel_error": _rel(c, t),
            "rel_error_se": se / abs(t) if se is not None and t else None,
        }
    return out


def bench_calibrate(
    truth: Plant,
    days: float,
    seed: int,
    kpi_seeds: int = 3,
    progress: Callable[[str], None] | None = None,
    decision_days: float = 0.0,
    jobs: int = 1,
) -> dict[str, Any]:
    step = progress or (lambda _m: None)
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "truth.duckdb")
        with open_historian(db) as hist:

            def store(twin: Twin) -> None:
                hist.append_samples(twin.drain_samples())
                hist.append_events(twin.drain_events())

            sim_t0 = time.process_time()
            twin = run_with_policy(truth, seed, days, signals=True, sink=store)
            sim_cpu = time.process_time() - sim_t0
            step("simulated the truth")
            samples = hist.count_samples()
            t0 = time.process_time()
            w0 = time.perf_counter()
            cal = calibrate(blank(truth), hist)
            cal_cpu = time.process_time() - t0
            cal_wall = time.perf_counter() - w0
            step("calibrated")
    rec = recovery(truth, cal.plant, cal.parameters)
    seeds = [10_000 + seed * 100 + i for i in range(kpi_seeds)]
    kpis = kpi_backtest(truth, cal.plant, days, seeds)
    step("KPI back-test")
    decision = None
    if decision_days > 0:
        from jayul.bench.calibrate.decision import decision_test

        params = cal.report()["parameters"]
        decision = decision_test(truth, cal.plant, params, decision_days, seed + 20_000, step, jobs)
    return {
        "decision": decision,
        "plant": truth.name,
        "days": days,
        "seed": seed,
        "signal_period_s": SIGNAL_PERIOD_S,
        "samples": samples,
        "truth_failures": twin.ledger.failures,
        "simulate_cpu_s": round(sim_cpu, 2),
        "calibrate_cpu_s": round(cal_cpu, 2),
        "calibrate_wall_s": round(cal_wall, 2),
        "recovery": rec,
        "kpis": kpis,
        "kpi_seeds": seeds,
        "priors": cal.report()["priors"],
        "processes": {
            k: v.get("process", "prior") for k, v in cal.details.get("lifetimes", {}).items()
        },
    }
