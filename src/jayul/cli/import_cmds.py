"""`jayul import samples`: history files (CSV, Parquet) into the historian, then backfill alerts."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from jayul.cli.db_option import DB_URL_OPTION
from jayul.cli.errors import fail
from jayul.historian.open import open_historian
from jayul.plant import PlantFileError, load_plant
from jayul.records.timebase import from_ns

import_app = typer.Typer(
    help="Import history: samples from CSV and Parquet files.", no_args_is_help=True
)
console = Console(soft_wrap=True)  # a summary stays one line, greppable


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@import_app.command("samples")
def import_samples(
    files: list[Path] = typer.Argument(..., help="CSV or Parquet files (wide or long layout)."),
    plant_file: Path = typer.Option(..., "--plant", help="The plant file (machines, signals)."),
    db: str = DB_URL_OPTION,
    layout: str = typer.Option(
        "auto", help="wide, long, or auto (long if machine, signal, value)."
    ),
    machine: str | None = typer.Option(None, help="Wide files: the machine of every column."),
    time_column: str = typer.Option("time", help="The time column's name."),
    time_unit: str = typer.Option("auto", help="Numeric times: s, ms, us, ns or auto."),
    time_format: str | None = typer.Option(None, help="strptime format of time strings."),
    time_zone: str | None = typer.Option(None, help="Zone of times written without one."),
    monitor: bool = typer.Option(True, help="Run the health monitor over the imported span."),
    fit_h: float = typer.Option(96.0, min=1.0, help="Hours the monitor fits on first."),
) -> None:
    """Import samples into the historian (idempotent), then raise alerts over their span."""
    # imported here: the monitor's models and the import's readers load only when used
    from jayul.autopilot.backfill import backfill
    from jayul.connect.history_import import HistoryFileError, HistoryImport, ImportSpec

    if layout not in ("auto", "wide", "long"):
        fail(f"--layout {layout!r}: use wide, long or auto")
    if time_unit not in ("auto", "s", "ms", "us", "ns"):
        fail(f"--time-unit {time_unit!r}: use s, ms, us, ns or auto")
    try:
        plant = load_plant(plant_file)
    except PlantFileError as exc:
        fail(str(exc))
    spec = ImportSpec(
        layout=layout,  # type: ignore[arg-type]
        time_column=time_column,
        time_unit=time_unit,
        time_format=time_format,
        time_zone=time_zone,
        machine=machine,
    )
    try:
        historian = open_historian(db)
    except Exception as exc:  # a locked file, a refused connection: said plainly
        fail(f"{db}: cannot open the historian: {exc}")
    with historian:
        importer = HistoryImport(plant, historian, spec)
        try:
            with _progress() as bar:
                tasks: dict[str, TaskID] = {}

                def moved(name: str, fraction: float) -> None:
                    if name not in tasks:
                        tasks[name] = bar.add_task(f"import {Path(name).name}", total=1.0)
                    bar.update(tasks[name], completed=fraction)

                stats = importer.run(files, moved)
        except HistoryFileError as exc:
            fail(str(exc))
        except Exception as exc:  # DuckDB's own words on a malformed file
            fail(f"import failed: {exc}")
        finally:
            importer.close()
        console.print(
            f"{stats.samples:,} samples read from {stats.files} file(s): {stats.stored:,} "
            f"stored, {stats.samples - stats.stored:,} already there, {stats.missing:,} empty "
            f"cells skipped, {stats.dead_letters:,} dead letters",
            highlight=False,
        )
        if not monitor or stats.start_ns is None or stats.end_ns is None:
            return
        with _progress() as bar:
            task = bar.add_task("health monitor over the imported span", total=1.0)
            result = backfill(
                historian,
                plant,
                stats.start_ns,
                stats.end_ns,
                fit_h=fit_h,
                progress=lambda f: bar.update(task, completed=f),
            )
    first, last = from_ns(stats.start_ns), from_ns(stats.end_ns)
    console.print(
        f"monitor: fitted on the first {fit_h:g} h, scored {first:%Y-%m-%d %H:%M} to "
        f"{last:%Y-%m-%d %H:%M} UTC: {len(result.alerts)} alert(s)",
        highlight=False,
    )
    for alert in result.alerts:
        console.print(
            f"  {from_ns(alert.time):%Y-%m-%d %H:%M} {alert.machine}: {alert.reason()}",
            highlight=False,
        )
