"""`jayul import`: history into the historian. `samples`: CSV and Parquet files, then the health
monitor over their span; `events`: maintenance and failure events from a CMMS or MES export."""

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
from rich.table import Table

from jayul.cli.db_option import PLANT_DB_URL_OPTION, plant_historian
from jayul.connect.events_import import (
    ColumnMap,
    ImportSpecError,
    TimeParser,
    dead_letters_for,
    new_dead_letters,
    parse_kind_table,
    parse_machine_names,
    read_events_file,
)
from jayul.historian.open import open_historian
from jayul.plant import PlantFileError, load_plant
from jayul.records.timebase import from_ns
from jayul.shell.errors import fail

import_app = typer.Typer(
    help="Bring history from other systems into the historian: samples (CSV, Parquet) and "
    "events (a CMMS or MES export).",
    no_args_is_help=True,
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
    db: str | None = PLANT_DB_URL_OPTION,
    layout: str = typer.Option(
        "auto", help="wide, long, or auto (long if machine, signal, value)."
    ),
    machine: str | None = typer.Option(None, help="Wide files: the machine of every column."),
    time_column: str = typer.Option("time", help="The time column's name."),
    time_unit: str = typer.Option("auto", help="Numeric times: s, ms, us, ns or auto."),
    time_format: str | None = typer.Option(None, help="strptime format of time strings."),
    time_zone: str | None = typer.Option(None, help="Zone of times written without one."),
    column: list[str] = typer.Option(
        [],
        "--column",
        help="Wide files: FILE_COLUMN=machine.signal (or =signal with --machine) for a column "
        "named by another system's tag; repeat for each.",
    ),
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
    db = plant_historian(db, plant_file)
    rename = []
    for item in column:
        theirs, sep, ours = (x.strip() for x in item.rpartition("="))
        if not sep or not theirs or not ours:
            fail(f"--column {item!r}: give FILE_COLUMN=machine.signal")
        rename.append((theirs, ours))
    spec = ImportSpec(
        rename=tuple(rename),
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
            f"stored in {db}, {stats.samples - stats.stored:,} already there, "
            f"{stats.missing:,} empty cells skipped, {stats.dead_letters:,} dead letters",
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


SHOWN_REJECTS = 20


@import_app.command("events")
def events(
    file: Path = typer.Argument(..., help="The CSV export, its first line the column names."),
    db: str | None = PLANT_DB_URL_OPTION,
    map_: str = typer.Option(
        "",
        "--map",
        help="Which column holds each field, e.g. time=Date,machine=Asset,kind=Type,id=WO. "
        "Fields: time, machine, kind (required), id, mode, action, note. "
        "Unmapped fields are looked for under their own names.",
    ),
    kinds: str = typer.Option(
        "",
        help="The plant's own kind codes, e.g. "
        "BD=failure,PM-S=maintenance_start,PM-E=maintenance_end.",
    ),
    time_format: str = typer.Option(
        "",
        help="How times are written: ISO 8601 (default), epoch_s, epoch_ms, "
        "or a strptime pattern such as '%d.%m.%Y %H:%M'.",
    ),
    tz: str = typer.Option(
        "UTC",
        "--time-zone",
        "--tz",
        help="Time zone of times written without one (IANA name).",
    ),
    machine_names: str = typer.Option(
        "",
        "--machines",
        help="The file's machine names for the plant's ids, e.g. E1=e1,E2=e2 "
        "(names not listed are taken as they are).",
    ),
    plant: Path | None = typer.Option(
        None, help="Plant file: rows naming a machine not in it are rejected."
    ),
    delimiter: str = typer.Option(",", help="The field separator (one character)."),
    encoding: str = typer.Option("utf-8-sig", help="The file's text encoding."),
) -> None:
    """Import maintenance and failure events from a CSV file into the historian.

    Good rows are stored as events (importing a file twice stores each event once); bad rows
    are listed with their line numbers and reasons and kept in the historian's dead letters.
    See docs/data-standard.md for the column mapping, kinds and time formats.
    """
    if not file.is_file():
        fail(f"{file}: no such file")
    if len(delimiter) != 1:
        fail(f"--delimiter {delimiter!r}: give one character")
    machines = None
    if plant is not None:
        try:
            machines = [m.id for m in load_plant(plant).machines]
        except PlantFileError as exc:
            fail(str(exc))
    try:
        got = read_events_file(
            file,
            ColumnMap.parse(map_),
            encoding=encoding,
            kinds=parse_kind_table(kinds),
            parse_time=TimeParser(time_format or None, tz),
            machines=machines,
            delimiter=delimiter,
            machine_names=parse_machine_names(machine_names),
        )
    except ImportSpecError as exc:
        fail(str(exc))
    db = plant_historian(db, plant)
    source = f"import events {file.name}"
    try:
        hist = open_historian(db)
    except Exception as exc:  # a locked or foreign file: say so plainly
        fail(f"{db}: cannot open the historian: {exc}")
    with hist:
        before: set[str] = set()
        if got.events:  # what the file's time span already holds, to count what is new
            lo = min(e.time for e in got.events)
            hi = max(e.time for e in got.events) + 1
            before = {e.id for e in hist.query_events(lo, hi)}
        hist.append_events(got.events)
        letters = new_dead_letters(hist.dead_letters(), dead_letters_for(got.rejected, source))
        hist.append_dead_letters(letters)
    stored = sum(e.id not in before for e in got.events)
    console.print(
        f"{file.name}: {len(got.events) + got.duplicates + len(got.rejected)} rows: "
        f"[green]{stored} events stored[/], {len(got.events) - stored} already there, "
        f"{got.duplicates} repeated in the file, [red]{len(got.rejected)} rejected[/] "
        f"({len(letters)} new in the dead letters of {db})",
        soft_wrap=True,  # one line, greppable
    )
    if got.rejected:
        table = Table("line", "reason", "row", title="rejected rows")
        for row in got.rejected[:SHOWN_REJECTS]:
            table.add_row(str(row.line), row.reason, row.raw[:80])
        console.print(table)
        if len(got.rejected) > SHOWN_REJECTS:
            console.print(
                f"... and {len(got.rejected) - SHOWN_REJECTS} more "
                f"(all kept in the historian's dead letters, source {source!r})"
            )
