"""`jayul bench steel`: defect classification against a 500-tree random forest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from jayul.bench.steel.data import SteelDataError
from jayul.bench.steel.run import FOLDS, run_steel
from jayul.shell.report import write_report


def bench_steel(
    data: Annotated[Path, typer.Option(help="The steel plates CSV, or the folder holding it.")],
    report: Annotated[Path | None, typer.Option(help="Write the figures as JSON here.")] = None,
) -> None:
    """Stratified 10-fold CV (seed 0): accuracy, macro-F1 and log loss, mean ± sd over folds."""
    console = Console() if Console().is_terminal else Console(width=120)
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("folds", total=FOLDS)
            figures = run_steel(data, step=lambda i: progress.update(task, completed=i))
    except SteelDataError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    table = Table(title="Steel plates faults, stratified 10-fold (seed 0)")
    table.add_column("model")
    metrics = ("accuracy", "macro_f1", "log_loss")
    for metric in metrics:
        table.add_column(metric, justify="right")
    for name in ("ours", "peer_random_forest_500"):
        f = figures[name]
        table.add_row(
            name,
            *(
                f"{f[m]['mean']:.4f} ± {f[m]['sd']:.4f}"
                for m in ("accuracy", "macro_f1", "log_loss")
            ),
        )
    console.print(table)
    if report is not None:
        write_report(report, figures)
