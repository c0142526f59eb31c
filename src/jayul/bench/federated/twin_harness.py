"""Federated detector and RUL on a twin fleet: ten demo plants that wear at different rates.

Protocol (`run_twin_bench`):

- Sites: the demo plant at `n_sites` sites, wear factors spread geometrically over
  `wear_range` (`twin_sites.with_wear_factor`); each site runs the twin twice, a training run
  (seed `seed + i`, `train_days`) and a held-out run (seed `seed + 100 + i`, `held_out_days`),
  for one machine type (pumps).
- Detector: the normal model is `MspcDetector` (PCA, T² and SPE limits at 99 %) on the
  site's commissioning rows, the first `commission_h` hours of every pump of its training run
  (as the health monitor learns a new plant). Local-only: each site's own rows; central: all
  sites' rows pooled; federated: `jayul.bench.federated.detector.federated_mspc` from the
  sites' sums. Judged on each site's held-out run, on available machines' hourly rows: a row
  is normal while no failure mode shows in the signals (true wear level 0) and worn at level
  `WORN_LEVEL` and above; false-alarm rate (score above the limit on normal rows), detection
  rate (on worn rows) and ROC AUC, per site, then averaged over sites.
- RUL: the federated RUL model (`jayul.fleet.federated`, windows in hours) on the chosen
  failure mode's run-to-failure histories, central / local-only / FedAvg / FedProx as on
  C-MAPSS; judged on each site's held-out histories, RMSE at every hourly row against the
  capped remaining life, per site, then averaged over sites (each site's local-only model on
  its own held-out histories).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from jayul.bench.federated.detector import federated_mspc, normal_sums
from jayul.bench.federated.targets import must_reach
from jayul.bench.federated.twin_sites import SiteRun, simulate_site, with_wear_factor
from jayul.bench.runner import run_tasks
from jayul.fleet.federated import network
from jayul.fleet.federated.features import Site
from jayul.fleet.federated.flower import train_federated
from jayul.fleet.federated.model import (
    FederatedRul,
    FederatedSettings,
    train_central,
    train_local,
)
from jayul.health.detector import Detector
from jayul.health.mspc import MspcDetector
from jayul.plant.model import Plant

WORN_LEVEL = 0.1  # effect level (0 hidden .. 1 failure) from which a row counts as worn
Step = Callable[[str, dict[str, float]], None]


def twin_rul_settings(**changes: Any) -> FederatedSettings:
    """The federated RUL model's settings for hourly rows (lives of 500 to 3,000 hours)."""
    base = FederatedSettings(windows=(12, 48, 120, 240), baseline_rows=48, cap=600.0, row_stride=8)
    return dataclasses.replace(base, **changes)


@dataclasses.dataclass(frozen=True)
class TwinSite:
    name: str
    wear_factor: float
    train: SiteRun
    held_out: SiteRun


def _simulate(args: tuple[Plant, int, float, str, str]) -> SiteRun:
    plant, seed, days, machine_type, mode = args
    return simulate_site(plant, seed, days, machine_type, mode)


def twin_sites(
    plant: Plant,
    n_sites: int,
    wear_range: tuple[float, float],
    train_days: float,
    held_out_days: float,
    seed: int,
    machine_type: str,
    mode: str,
    jobs: int = 1,
) -> list[TwinSite]:
    """Every site's two twin runs (as tasks: `jayul.bench.runner`)."""
    factors = np.geomspace(wear_range[0], wear_range[1], n_sites)
    plants = [with_wear_factor(plant, float(f)) for f in factors]
    tasks = [(p, seed + i, train_days, machine_type, mode) for i, p in enumerate(plants)]
    tasks += [(p, seed + 100 + i, held_out_days, machine_type, mode) for i, p in enumerate(plants)]
    runs = run_tasks(_simulate, tasks, jobs)
    return [
        TwinSite(f"site-{i + 1}", float(factors[i]), runs[i], runs[n_sites + i])
        for i in range(n_sites)
    ]


def commissioning_rows(run: SiteRun, hours: int) -> np.ndarray:
    return np.vstack([rows[:hours] for rows in run.rows.values()])


def judge_detector(detector: Detector, run: SiteRun) -> dict[str, float]:
    """False alarms on normal rows, detections on worn rows, AUC (available rows only)."""
    scores, wear = [], []
    for machine, rows in run.rows.items():
        keep = run.available[machine]
        scores.append(detector.score(rows)[keep])
        wear.append(run.wear[machine][keep])
    score, level = np.concatenate(scores), np.concatenate(wear)
    normal, worn = level == 0.0, level >= WORN_LEVEL
    out = {"normal_rows": float(normal.sum()), "worn_rows": float(worn.sum())}
    out["false_alarm_rate"] = float(np.mean(score[normal] > 1.0)) if normal.any() else np.nan
    out["detection_rate"] = float(np.mean(score[worn] > 1.0)) if worn.any() else np.nan
    if normal.any() and worn.any():
        labels = np.concatenate([np.zeros(normal.sum()), np.ones(worn.sum())])
        out["auc"] = float(roc_auc_score(labels, np.concatenate([score[normal], score[worn]])))
    return out


def _mean_of(per_site: Sequence[dict[str, float]]) -> dict[str, float]:
    keys = ("false_alarm_rate", "detection_rate", "auc")
    return {k: float(np.nanmean([s.get(k, np.nan) for s in per_site])) for k in keys}


def detector_figures(sites: Sequence[TwinSite], commission_h: int) -> dict[str, Any]:
    normal = [commissioning_rows(s.train, commission_h) for s in sites]
    central = MspcDetector().fit(np.vstack(normal))
    federated = federated_mspc([normal_sums(rows) for rows in normal])
    probe = np.vstack([commissioning_rows(s.held_out, commission_h) for s in sites])
    local = [MspcDetector().fit(rows) for rows in normal]
    per_site = {
        "central": [judge_detector(central, s.held_out) for s in sites],
        "federated": [judge_detector(federated, s.held_out) for s in sites],
        "local-only": [judge_detector(d, s.held_out) for d, s in zip(local, sites, strict=True)],
    }
    return {
        "commission_rows_per_site": [len(rows) for rows in normal],
        "federated_vs_central_max_score_gap": float(
            np.max(np.abs(federated.score(probe) - central.score(probe)))
        ),
        "per_site": per_site,
        "mean_over_sites": {name: _mean_of(rows) for name, rows in per_site.items()},
    }


def rul_rmse(model: FederatedRul, histories: Sequence[np.ndarray], cap: float) -> float:
    """RMSE at every hourly row of `histories` against the capped remaining life."""
    x, y = model.features.rows(Site("held-out", histories, cap))
    predicted = np.clip(network.predict(model.weights, x) * cap, 0.0, cap)
    return float(np.sqrt(np.mean((predicted - y) ** 2)))


def rul_figures(
    sites: Sequence[TwinSite], settings: FederatedSettings, on_step: Step | None
) -> dict[str, Any]:
    trained = [s for s in sites if s.train.histories]
    judged = [s for s in sites if s.held_out.histories]
    rul_sites = [Site(s.name, s.train.histories, settings.cap) for s in trained]
    per_model: dict[str, dict[str, float]] = {}

    def judge(name: str, fit: Callable[[], FederatedRul], on: Sequence[TwinSite]) -> None:
        start = time.perf_counter()
        model = fit()
        seconds = time.perf_counter() - start
        site_rmse = {s.name: rul_rmse(model, s.held_out.histories, settings.cap) for s in on}
        row = {"mean_site_rmse": float(np.mean(list(site_rmse.values()))), **site_rmse}
        per_model[name] = {**row, "train_seconds": seconds}
        if on_step is not None:
            on_step(name, {"rmse": row["mean_site_rmse"], "train_seconds": seconds})

    judge("central", lambda: train_central(rul_sites, settings), judged)
    for site, rul_site in zip(trained, rul_sites, strict=True):
        if site.held_out.histories:
            judge(f"local {site.name}", lambda r=rul_site: train_local(r, settings), [site])  # type: ignore[misc]
    judge("FedAvg", lambda: train_federated(rul_sites, settings, "fedavg"), judged)
    judge("FedProx", lambda: train_federated(rul_sites, settings, "fedprox"), judged)
    local = [per_model[f"local {s.name}"][s.name] for s in trained if s.held_out.histories]
    local_mean, central = float(np.mean(local)), per_model["central"]["mean_site_rmse"]
    federated = {name: per_model[name]["mean_site_rmse"] for name in ("FedAvg", "FedProx")}
    reach = must_reach(federated, central, local_mean)
    return {
        "sites_with_training_histories": len(trained),
        "sites_judged": len(judged),
        "models": per_model,
        "local_mean_rmse": local_mean,
        "must_reach": reach,
    }


def run_twin_bench(
    plant: Plant,
    settings: FederatedSettings,
    n_sites: int = 10,
    wear_range: tuple[float, float] = (0.5, 2.0),
    train_days: float = 365.0,
    held_out_days: float = 240.0,
    commission_h: int = 96,
    seed: int = 2000,
    machine_type: str = "pump",
    mode: str = "bearing_wear",
    jobs: int = 1,
    on_step: Step | None = None,
) -> dict[str, Any]:
    """Simulate the sites, then the detector's and the RUL model's figures."""
    start = time.perf_counter()
    sites = twin_sites(
        plant, n_sites, wear_range, train_days, held_out_days, seed, machine_type, mode, jobs
    )
    simulate_seconds = time.perf_counter() - start
    return {
        "data": f"twin fleet of {plant.name!r}, {machine_type} / {mode}",
        "settings": dataclasses.asdict(settings),
        "simulate_seconds": simulate_seconds,
        "sites": [
            {
                "name": s.name,
                "wear_factor": s.wear_factor,
                "train_histories": len(s.train.histories),
                "held_out_histories": len(s.held_out.histories),
                "mean_life_h": float(np.mean([len(h) for h in s.train.histories]))
                if s.train.histories
                else None,
            }
            for s in sites
        ],
        "detector": detector_figures(sites, commission_h),
        "rul": rul_figures(sites, settings, on_step),
    }
