"""Choosing a federated set-up without the test set: a validation split of training engines.

Each site keeps back `share` of its own engines (at least one, drawn with `seed`); the models
train on the rest, and each kept-back engine is cut at a point drawn uniformly between 30 %
and 95 % of its life (as the FD001 test engines are cut before failure), so its remaining
life at the cut is known. Central training and each federated strategy are scored there
(RMSE at the cut, not capped, as on the test set); a strategy is chosen by its ratio to
central here, and only then run against the test set (`jayul bench federated --strategy`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from jayul.bench.cmapss.metrics import rmse
from jayul.bench.federated.harness import STRATEGY_NAMES, fd001_sites
from jayul.fleet.federated.features import Site
from jayul.fleet.federated.flower import train_federated
from jayul.fleet.federated.model import FederatedRul, FederatedSettings, train_central

CUT_RANGE = (0.3, 0.95)


def hold_back(
    sites: Sequence[Site], share: float, seed: int
) -> tuple[list[Site], list[np.ndarray], np.ndarray]:
    """The sites without their kept-back engines; those engines cut, and their true RULs."""
    rng = np.random.default_rng(seed)
    kept: list[Site] = []
    cuts: list[np.ndarray] = []
    true: list[float] = []
    for site in sites:
        n = len(site.histories)
        back = set(rng.choice(n, size=max(1, round(share * n)), replace=False).tolist())
        kept.append(Site(site.name, [h for i, h in enumerate(site.histories) if i not in back]))
        for i in sorted(back):
            life = len(site.histories[i])
            cut = max(2, int(rng.uniform(*CUT_RANGE) * life))
            cuts.append(site.histories[i][:cut])
            true.append(float(life - cut))
    return kept, cuts, np.array(true)


def run_validation(
    data: Path,
    settings: FederatedSettings,
    strategies: Sequence[str],
    n_sites: int = 5,
    split_seed: int = 0,
    share: float = 0.2,
    seed: int = 0,
    on_step: Callable[[str, dict[str, float]], None] | None = None,
) -> dict[str, Any]:
    """Central and each strategy on the validation split; each one's ratio to central."""
    sites, _, _ = fd001_sites(data, n_sites, split_seed, settings.cap)
    train, cuts, true = hold_back(sites, share, seed)
    rows: dict[str, dict[str, float]] = {}

    def record(name: str, fit: Callable[[], FederatedRul]) -> None:
        start = time.perf_counter()
        figures = {"rmse": rmse(fit().predict(cuts), true)}
        figures["train_seconds"] = time.perf_counter() - start
        rows[name] = figures
        if on_step is not None:
            on_step(name, figures)

    record("central", lambda: train_central(train, settings))
    for strategy in strategies:
        record(STRATEGY_NAMES[strategy], lambda s=strategy: train_federated(train, settings, s))  # type: ignore[misc]
    central = rows["central"]["rmse"]
    for row in rows.values():
        row["vs_central"] = row["rmse"] / central
    return {
        "protocol": f"validation: {share:g} of each site's engines kept back, cut at "
        f"{CUT_RANGE[0]:g}-{CUT_RANGE[1]:g} of life (seed {seed})",
        "validation_engines": len(cuts),
        "models": rows,
    }
