"""`jayul bench import`: history import speed against DuckDB reading the same files."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from rich.console import Console

from jayul.plant import PlantFileError, demo_plant_path, load_plant
from jayul.shell.errors import fail
from jayul.shell.report import write_report

console = Console()


def bench_import(
    rows: int = typer.Option(1_000_000, min=1000, help="Rows of the wide file (x signals)."),
    machine: str = typer.Option("pump1", help="The machine whose signals the file holds."),
    plant_file: Path | None = typer.Option(None, "--plant", help="Plant file (default: demo)."),
    work: Path | None = typer.Option(None, help="Directory for the files (default: a temp one)."),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
) -> None:
    """Import a wide Parquet and CSV file; samples/s against DuckDB's own read into a table."""
    from jayul.bench.history_import.harness import run

    try:
        plant = load_plant(plant_file or demo_plant_path())
        plant.machine_type(machine)
    except (PlantFileError, KeyError, ValueError) as exc:
        fail(f"--machine {machine!r}: {exc}")
    with tempfile.TemporaryDirectory(dir=work) as tmp, console.status("importing"):
        figures = run(plant, machine, rows, Path(tmp))
    for kind in ("parquet", "csv"):
        f = figures[kind]
        console.print(
            f"{kind}: {f['values']:,} samples; jayul {f['jayul_s']:.2f} s "
            f"({f['jayul_samples_per_s']:,.0f}/s), DuckDB into a table {f['baseline_s']:.2f} s "
            f"({f['baseline_samples_per_s']:,.0f}/s): {f['ratio']:.2f}x; re-import "
            f"{f['reimport_s']:.2f} s, {f['reimport_stored']} stored",
            highlight=False,
        )
    write_report(report, figures)
