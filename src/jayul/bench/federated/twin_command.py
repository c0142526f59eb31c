"""`jayul bench federated --twin`: run the twin-fleet benchmark and print its tables."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.console import Console
from rich.table import Table

from jayul.fleet.federated.model import FederatedSettings

SHARED = ("epochs", "rounds", "local_epochs", "proximal_mu", "dp_clip", "seed")


def run_twin(
    console: Console,
    n_sites: int,
    train_days: float,
    held_out_days: float,
    jobs: int,
    settings: FederatedSettings,
) -> dict[str, Any]:
    """The twin benchmark with the command's training settings; prints, returns the figures."""
    from jayul.bench.federated.twin_harness import run_twin_bench, twin_rul_settings
    from jayul.bench.runner import backend
    from jayul.plant.load import load_demo_plant

    chosen = twin_rul_settings(**{k: getattr(settings, k) for k in SHARED})
    way = backend(jobs, 2 * n_sites)
    console.print(f"simulating {n_sites} sites x 2 runs ({way}, jobs {jobs}) ...")

    def show(name: str, figures: dict[str, float]) -> None:
        console.print(f"{name}: RMSE {figures['rmse']:.1f} h ({figures['train_seconds']:.0f} s)")

    figures = run_twin_bench(
        load_demo_plant(),
        chosen,
        n_sites=n_sites,
        train_days=train_days,
        held_out_days=held_out_days,
        jobs=jobs,
        on_step=show,
    )
    figures["runner"] = way
    sites = Table(title="Twin sites (pump bearing wear)")
    for column in ("site", "wear factor", "train lives", "held-out lives", "mean life (h)"):
        sites.add_column(column, justify="left" if column == "site" else "right")
    for site in figures["sites"]:
        life = site["mean_life_h"]
        sites.add_row(
            site["name"],
            f"{site['wear_factor']:.2f}",
            str(site["train_histories"]),
            str(site["held_out_histories"]),
            "-" if life is None else f"{life:.0f}",
        )
    console.print(sites)
    detector = Table(title="Detector (MSPC normal model), held-out runs, mean over sites")
    for column in ("normal model", "false alarms", "detections", "AUC"):
        detector.add_column(column, justify="left" if column == "normal model" else "right")
    for name, row in figures["detector"]["mean_over_sites"].items():
        detector.add_row(
            name,
            f"{row['false_alarm_rate']:.3f}",
            f"{row['detection_rate']:.3f}",
            f"{row['auc']:.3f}",
        )
    console.print(detector)
    rul = Table(title="RUL, held-out histories: RMSE (h) at every hourly row, mean over sites")
    for column in ("model", "RMSE (h)", "train (s)"):
        rul.add_column(column, justify="left" if column == "model" else "right")
    for name, row in figures["rul"]["models"].items():
        rul.add_row(name, f"{row['mean_site_rmse']:.1f}", f"{row['train_seconds']:.0f}")
    rul.add_row("local-only, mean", f"{figures['rul']['local_mean_rmse']:.1f}", "")
    console.print(rul)
    for name, reach in figures["rul"]["must_reach"].items():
        console.print(
            f"{name}: {reach['vs_central']:.3f} x central (target <= 1.05), "
            f"{reach['vs_local_mean']:.3f} x local-only mean (target <= 0.85)"
        )
    figures["settings"] = dataclasses.asdict(chosen)
    return figures
