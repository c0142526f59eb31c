"""`jayul bench federated`: federated RUL (Flower FedAvg, FedProx, with and without
differential privacy) on C-MAPSS FD001 split across non-IID sites, against central and
local-only training of the same model; with `--twin`, the federated detector and RUL model
on ten twin plants that wear at different rates."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from jayul.shell import fail, write_report


def bench_federated(
    data: Path | None = typer.Option(
        None, "--data", help="Folder with train_/test_/RUL_FD001.txt (C-MAPSS; not with --twin)."
    ),
    twin: bool = typer.Option(
        False, "--twin", help="Ten demo plants with different wear rates instead of C-MAPSS."
    ),
    sites: int = typer.Option(0, "--sites", min=0, help="Sites (0: 5 for C-MAPSS, 10 for --twin)."),
    split_seed: int = typer.Option(0, "--split-seed", help="Seed of the skewed split."),
    rounds: int = typer.Option(30, "--rounds", min=1, help="Federated rounds."),
    local_epochs: int = typer.Option(5, "--local-epochs", min=1, help="Site epochs a round."),
    proximal_mu: float = typer.Option(0.01, "--proximal-mu", min=0.0, help="FedProx's mu."),
    strategy: list[str] = typer.Option(
        [],
        "--strategy",
        help="fedavg, fedprox, fedavgm, fedadam (repeat; default fedavg, fedprox).",
    ),
    validate: float = typer.Option(
        0.0,
        "--validate",
        min=0.0,
        max=0.5,
        help="Score on this share of each site's training engines instead of the test set.",
    ),
    dp_noise: list[float] = typer.Option(
        [], "--dp-noise", help="Noise multiplier of a FedAvg + DP run (repeat for several)."
    ),
    epochs: int = typer.Option(40, "--epochs", min=1, help="Central and local-only epochs."),
    dp_clip: float = typer.Option(1.0, "--dp-clip", min=0.0, help="DP clipping norm."),
    seed: int = typer.Option(0, "--seed", help="Network initialisation and batch order."),
    train_days: float = typer.Option(
        365.0, "--train-days", min=1.0, help="--twin: days a site trains on."
    ),
    held_out_days: float = typer.Option(
        240.0, "--held-out-days", min=1.0, help="--twin: days of each site's held-out run."
    ),
    jobs: int = typer.Option(
        1, "--jobs", min=1, help="--twin: twin runs at once (Ray tasks when Ray is installed)."
    ),
    report: Path | None = typer.Option(None, "--report", help="Write the figures as JSON."),
) -> None:
    """Train central, local-only, FedAvg and FedProx RUL models; RMSE on the FD001 test set
    (or, with --twin, detector and RUL figures on held-out runs of ten twin plants)."""
    from jayul.bench.cmapss.data import CmapssDataError
    from jayul.bench.federated.harness import STRATEGY_NAMES, run_federated_bench
    from jayul.fleet.federated.flower import flower_available
    from jayul.fleet.federated.model import FederatedSettings

    if not flower_available():
        fail("federated training needs Flower: pip install 'jayul[federated]'")
    settings = FederatedSettings(
        epochs=epochs,
        rounds=rounds,
        local_epochs=local_epochs,
        proximal_mu=proximal_mu,
        dp_clip=dp_clip,
        seed=seed,
    )
    console = Console()
    if twin:
        from jayul.bench.federated.twin_command import run_twin

        write_report(
            report, run_twin(console, sites or 10, train_days, held_out_days, jobs, settings)
        )
        return
    if data is None:
        fail("--data: the C-MAPSS folder is needed (or --twin for the twin fleet)")
    sites = sites or 5
    strategies = strategy or ["fedavg", "fedprox"]
    unknown = [s for s in strategies if s not in STRATEGY_NAMES]
    if unknown:
        fail(f"--strategy {unknown[0]!r}: known are {', '.join(STRATEGY_NAMES)}")

    def show(name: str, figures: dict[str, float]) -> None:
        console.print(f"{name}: RMSE {figures['rmse']:.2f}  ({figures['train_seconds']:.0f} s)")

    if validate > 0.0:
        from jayul.bench.federated.validation import run_validation

        try:
            checked = run_validation(
                data, settings, strategies, sites, split_seed, validate, seed, on_step=show
            )
        except CmapssDataError as error:
            fail(str(error))
        for name, row in checked["models"].items():
            console.print(f"validation {name}: {row['vs_central']:.3f} x central")
        write_report(report, checked)
        return
    try:
        figures = run_federated_bench(
            data, settings, sites, split_seed, dp_noise, on_step=show, strategies=strategies
        )
    except CmapssDataError as error:
        fail(str(error))
    table = Table(title=f"Federated RUL, C-MAPSS FD001, {sites} non-IID sites")
    for column in ("model", "RMSE", "PHM08 score", "train (s)"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for name, row in figures["models"].items():
        table.add_row(
            name, f"{row['rmse']:.2f}", f"{row['phm08_score']:.0f}", f"{row['train_seconds']:.0f}"
        )
    console.print(table)
    for name, reach in figures["must_reach"].items():
        console.print(
            f"{name}: {reach['vs_central']:.3f} x central (target <= 1.05), "
            f"{reach['vs_local_mean']:.3f} x local-only mean (target <= 0.85)"
        )
    write_report(report, figures)
