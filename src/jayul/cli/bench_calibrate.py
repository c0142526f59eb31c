"""`jayul bench calibrate`: calibrate a twin from a simulated year of a truth plant."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from jayul.cli.errors import fail
from jayul.cli.report import write_report
from jayul.plant import PlantFileError, demo_plant_path, load_plant

console = Console()


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def bench_calibrate(
    truth: Path | None = typer.Option(None, "--truth", help="Truth plant file (default: demo)."),
    days: float = typer.Option(365.0, min=1.0, help="Days of history to simulate."),
    seed: int = typer.Option(0, help="Seed of the truth's history."),
    kpi_seeds: int = typer.Option(3, min=1, help="Fresh seeds of the KPI back-test."),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
) -> None:
    """Simulate the truth plant, calibrate from its signals and events alone, compare."""
    from jayul.bench.calibrate import bench_calibrate as run

    try:
        plant = load_plant(truth or demo_plant_path())
    except PlantFileError as exc:
        fail(str(exc))
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("simulating the truth", total=3)
        figures = run(
            plant,
            days,
            seed,
            kpi_seeds,
            progress=lambda m: bar.update(task, advance=1, description=m),
        )
    rec = figures["recovery"]
    console.print(
        f"{plant.name}: {figures['samples']:,} samples, {figures['truth_failures']} failures; "
        f"calibration {figures['calibrate_cpu_s']:.1f} s CPU",
        highlight=False,
    )
    console.print(
        f"median relative error: MTTF {_pct(rec['mttf']['median_rel_error'])}, repair "
        f"{_pct(rec['repair_h']['median_rel_error'])}, processing "
        f"{_pct(rec['processing_h']['median_rel_error'])}",
        highlight=False,
    )
    for key, v in figures["kpis"].items():
        console.print(
            f"{key}: truth {v['truth']:.4g}, calibrated {v['calibrated']:.4g} "
            f"({_pct(v['rel_error'])})",
            highlight=False,
        )
    write_report(report, figures)
