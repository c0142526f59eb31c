"""`jayul bench verify`: how long one plan's virtual commissioning takes."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from jayul.plant import PlantFileError, demo_plant_path, load_plant
from jayul.shell.errors import fail
from jayul.shell.report import write_report

console = Console()


def bench_verify(
    futures: int = typer.Option(8, min=1, help="Sampled futures per plan."),
    horizon_days: float = typer.Option(7.0, min=0.1, help="Horizon of each future, days."),
    repeats: int = typer.Option(3, min=1, help="Verifications timed."),
    plant_file: Path | None = typer.Option(None, "--plant", help="Plant file (default: demo)."),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
) -> None:
    """Verify a maintenance proposal on the demo plant and time it."""
    from jayul.bench.verify.harness import time_verification

    try:
        plant = load_plant(plant_file or demo_plant_path())
    except PlantFileError as exc:
        fail(str(exc))
    with console.status("verifying on forked twins"):
        figures = time_verification(plant, futures, horizon_days * 24, repeats=repeats)
    console.print(
        f"{futures} futures x {horizon_days:g} days: median {figures['wall_s']['median']:.2f} s, "
        f"max {figures['wall_s']['max']:.2f} s; verdict: {figures['verdict']['reason']}"
    )
    write_report(report, figures)
