"""Federated RUL on C-MAPSS FD001: five sites, non-IID, against central and local-only.

Protocol: FD001's 100 training engines are split across `n_sites` sites by
`jayul.bench.federated.sites.skewed_split` (engines ranked by life, four life bands, each
band dealt by Dirichlet(0.5) shares, seed `split_seed`). Every model is the same network on
the same windowed features (`jayul.fleet.federated`), trained

- central: all engines pooled;
- local-only: each site on its own engines (its own feature statistics too);
- FedAvg and FedProx: Flower rounds over the sites; and FedAvg with differential privacy
  (server-side fixed clipping, Gaussian noise) at each noise multiplier asked for.

Each model predicts every FD001 test engine at its last cycle; RMSE against `RUL_FD001.txt`
(not capped), as `jayul bench cmapss` scores. FD001 flies one operating condition, so the
raw sensors are used (no per-condition normalisation, which would need a statistics round).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from jayul.bench.cmapss.data import SENSORS, load_cmapss
from jayul.bench.cmapss.metrics import phm08_score, rmse
from jayul.bench.federated.sites import skewed_split
from jayul.bench.federated.targets import must_reach
from jayul.fleet.federated.features import Site
from jayul.fleet.federated.flower import train_federated
from jayul.fleet.federated.model import (
    FederatedRul,
    FederatedSettings,
    train_central,
    train_local,
)
from jayul.health.rul import histories_from_frame

STRATEGY_NAMES = {
    "fedavg": "FedAvg",
    "fedprox": "FedProx",
    "fedavgm": "FedAvgM",
    "fedadam": "FedAdam",
}


def fd001_sites(
    data: Path, n_sites: int, split_seed: int, cap: float, max_units: int | None = None
) -> tuple[list[Site], list[np.ndarray], np.ndarray]:
    """The training engines split into sites, and the test histories with their true RULs."""
    split = load_cmapss(data, "FD001", "FD001")
    histories, _ = histories_from_frame(split.train, features=SENSORS)
    if max_units is not None:
        histories = histories[:max_units]
    test, _ = histories_from_frame(split.test, features=SENSORS)
    parts = skewed_split([len(h) for h in histories], n_sites, seed=split_seed)
    sites = [
        Site(f"site-{i + 1}", [histories[j] for j in part], cap) for i, part in enumerate(parts)
    ]
    return sites, test, split.test_rul


def _score(model: FederatedRul, test: Sequence[np.ndarray], true: np.ndarray) -> dict[str, float]:
    predicted = model.predict(test)
    return {"rmse": rmse(predicted, true), "phm08_score": phm08_score(predicted, true)}


def run_federated_bench(
    data: Path,
    settings: FederatedSettings,
    n_sites: int = 5,
    split_seed: int = 0,
    dp_noises: Sequence[float] = (),
    max_units: int | None = None,
    on_step: Callable[[str, dict[str, float]], None] | None = None,
    strategies: Sequence[str] = ("fedavg", "fedprox"),
) -> dict[str, Any]:
    """Every way of training, scored on the FD001 test set; the must-reach ratios."""
    sites, test, true = fd001_sites(data, n_sites, split_seed, settings.cap, max_units)
    rows: dict[str, dict[str, float]] = {}

    def record(name: str, fit: Callable[[], FederatedRul]) -> None:
        start = time.perf_counter()
        figures = _score(fit(), test, true)
        figures["train_seconds"] = time.perf_counter() - start
        rows[name] = figures
        if on_step is not None:
            on_step(name, figures)

    record("central", lambda: train_central(sites, settings))
    for site in sites:
        record(f"local {site.name}", lambda site=site: train_local(site, settings))  # type: ignore[misc]
    for strategy in strategies:
        record(STRATEGY_NAMES[strategy], lambda s=strategy: train_federated(sites, settings, s))  # type: ignore[misc]
    for noise in dp_noises:
        private = dataclasses.replace(settings, dp_noise=noise)
        record(f"FedAvg + DP (noise {noise:g})", lambda p=private: train_federated(sites, p))  # type: ignore[misc]
    local = [rows[f"local {s.name}"]["rmse"] for s in sites]
    central = rows["central"]["rmse"]
    local_mean = float(np.mean(local))
    federated = [STRATEGY_NAMES[s] for s in strategies]
    reach = must_reach({name: rows[name]["rmse"] for name in federated}, central, local_mean)
    return {
        "data": "C-MAPSS FD001 (train -> test, RMSE at each test engine's last cycle)",
        "settings": dataclasses.asdict(settings),
        "split_seed": split_seed,
        "sites": [
            {
                "name": s.name,
                "engines": len(s.histories),
                "mean_life": float(np.mean([len(h) for h in s.histories])),
                "rows": s.n_rows,
            }
            for s in sites
        ],
        "models": rows,
        "local_mean_rmse": local_mean,
        "must_reach": reach,
    }
