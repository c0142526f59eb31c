"""`jayul import events`: maintenance and failure events from a CMMS or MES export (CSV)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from jayul.cli.errors import fail
from jayul.connect.events_import import (
    ColumnMap,
    ImportSpecError,
    TimeParser,
    dead_letters_for,
    new_dead_letters,
    parse_kind_table,
    read_events_file,
)
from jayul.historian.open import open_historian
from jayul.plant.load import PlantFileError, load_plant

import_app = typer.Typer(help="Bring records from other systems into the historian.")
console = Console()
SHOWN_REJECTS = 20


@import_app.command("events")
def events(
    file: Path = typer.Argument(..., help="The CSV export, its first line the column names."),
    db: str = typer.Option(
        "jayul-demo.duckdb", help="Historian: a DuckDB file or a postgresql:// URL."
    ),
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
    tz: str = typer.Option("UTC", help="Time zone of times written without one (IANA name)."),
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
        )
    except ImportSpecError as exc:
        fail(str(exc))
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
