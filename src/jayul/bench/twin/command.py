"""`jayul bench twin`: the twin's and the main job's speed."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from jayul.plant import PlantFileError, demo_plant_path, load_plant
from jayul.shell.errors import fail
from jayul.shell.report import write_report

console = Console()


def bench_twin(
    twin_days: float = typer.Option(365.0, min=0.1, help="Days of the twin alone."),
    demo_days: float = typer.Option(30.0, min=0.0, help="Days of the main job (0 skips it)."),
    plant_file: Path | None = typer.Option(None, "--plant", help="Plant file (default: demo)."),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
) -> None:
    """Time the twin alone (1-minute signals) and the main job's loop."""
    from jayul.bench.twin.harness import time_alert_latency, time_demo, time_twin

    try:
        plant = load_plant(plant_file or demo_plant_path())
    except PlantFileError as exc:
        fail(str(exc))
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("twin alone", total=twin_days)
        twin = time_twin(plant, twin_days, progress=lambda d: bar.advance(task, d))
    console.print(
        f"twin alone: {twin_days:g} days, {twin['samples']:,} samples in {twin['wall_s']:.1f} s "
        f"({twin['samples_per_s']:,.0f} samples/s)"
    )
    figures = {"plant": plant.name, "twin": twin}
    with console.status("alert latency, one tick per sampling period"):
        latency = time_alert_latency(plant)
    lat = latency["latency_s"]
    console.print(
        f"monitor latency per {latency['period_s']:g} s tick: median "
        f"{lat['median'] * 1000:.1f} ms, max {lat['max'] * 1000:.1f} ms"
    )
    figures["alert_latency"] = latency
    if demo_days > 0:
        with tempfile.TemporaryDirectory() as tmp:
            demo = time_demo(plant, demo_days, Path(tmp) / "bench.duckdb")
        console.print(f"main job: {demo_days:g} days in {demo['wall_s']:.1f} s")
        figures["demo"] = demo
    write_report(report, figures)
