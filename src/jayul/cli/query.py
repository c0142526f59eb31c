"""`jayul query`: read samples, buckets and events back from a historian."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from jayul.cli.db_option import PLANT_DB_URL_OPTION, PLANT_FILE_OPTION, plant_historian
from jayul.historian.base import Historian
from jayul.historian.open import is_postgres, open_historian, parse_duckdb_url
from jayul.records import EventKind
from jayul.records.timebase import NS_PER_S, from_ns, to_ns
from jayul.shell.errors import fail

query_app = typer.Typer(help="Read the historian: samples, buckets, events.", no_args_is_help=True)
console = Console()

DB = PLANT_DB_URL_OPTION
PLANT = PLANT_FILE_OPTION
START = typer.Option(None, help="From this UTC time (ISO 8601, e.g. 2026-01-02T00:00).")
END = typer.Option(None, help="Until this UTC time (exclusive).")


def open_existing(db: str) -> Historian:
    """The historian `db` names; a clear error when there is none (never creates a file)."""
    if not is_postgres(db):
        path = parse_duckdb_url(db).path
        if path != ":memory:" and not Path(path).exists():
            fail(f"{path}: no historian there (pass --db or set JAYUL_DB)")
    try:
        return open_historian(db)
    except Exception as exc:  # a locked or foreign file, a refused connection: say so plainly
        fail(f"{db}: cannot open the historian: {exc}")


def _range(start: str | None, end: str | None) -> tuple[int, int]:
    def parse(text: str, what: str) -> int:
        try:
            return to_ns(datetime.fromisoformat(text))
        except ValueError:
            fail(f"--{what} {text!r} is not an ISO 8601 time")

    lo = parse(start, "start") if start else 0
    hi = parse(end, "end") if end else 2**62
    if hi <= lo:
        fail("--end must be after --start")
    return lo, hi


def _parse_bucket(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        return int(float(text[:-1]) * units[text[-1]] * NS_PER_S)
    except (KeyError, ValueError, IndexError):
        fail(f"--bucket {text!r}: use a number and a unit, like 30s, 15m, 1h or 1d")


@query_app.command("samples")
def samples(
    machine: str = typer.Option(..., help="Machine id."),
    signal: list[str] = typer.Option(None, help="Signal id (repeat for more; default all)."),
    bucket: str | None = typer.Option(None, help="Bucket size (e.g. 1h): min/max/mean each."),
    start: str | None = START,
    end: str | None = END,
    limit: int = typer.Option(20, help="Rows to print (the last ones)."),
    db: str | None = DB,
    plant: Path | None = PLANT,
) -> None:
    """A machine's samples, raw or bucketed."""
    db = plant_historian(db, plant)
    lo, hi = _range(start, end)
    with open_existing(db) as hist:
        if bucket:
            if not signal or len(signal) != 1:
                fail("--bucket needs exactly one --signal")
            frame = hist.query_buckets(machine, signal[0], lo, hi, _parse_bucket(bucket))
            time_col = "bucket"
        else:
            frame = hist.query_samples(machine, lo, hi, signal or None)
            time_col = "time"
    if frame.empty:
        console.print(f"no samples for machine {machine!r} in that range")
        return
    table = Table(title=f"{machine}: {len(frame):,} rows (last {min(limit, len(frame))})")
    for col in frame.columns:
        table.add_column(col, justify="left" if col in ("signal",) else "right")
    for _, row in frame.tail(limit).iterrows():
        cells = [
            from_ns(int(row[c])).strftime("%Y-%m-%d %H:%M:%S")
            if c == time_col
            else (f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]))
            for c in frame.columns
        ]
        table.add_row(*cells)
    console.print(table)


@query_app.command("events")
def events(
    kind: list[str] = typer.Option(None, help="Event kind (repeat for more), e.g. alert, failure."),
    machine: str | None = typer.Option(None, help="Only this machine."),
    start: str | None = START,
    end: str | None = END,
    limit: int = typer.Option(50, help="At most this many (the oldest first)."),
    db: str | None = DB,
    plant: Path | None = PLANT,
) -> None:
    """Events: alerts with their reasons, failures, maintenance, actions, orders."""
    db = plant_historian(db, plant)
    lo, hi = _range(start, end)
    try:
        kinds = [EventKind(k) for k in kind] if kind else None
    except ValueError:
        fail(f"unknown kind in {kind}; kinds are: {', '.join(k.value for k in EventKind)}")
    with open_existing(db) as hist:
        found = hist.query_events(lo, hi, machine=machine, kinds=kinds, limit=limit)
    if not found:
        console.print("no events match")
        return
    table = Table(title=f"{len(found)} events")
    for col in ("time", "machine", "kind", "details"):
        table.add_column(col)
    for e in found:
        details = (
            e.payload.get("reason")
            or e.payload.get("summary")
            or ", ".join(f"{k}={v}" for k, v in e.payload.items() if k != "contributions")
        )
        table.add_row(
            from_ns(e.time).strftime("%Y-%m-%d %H:%M"),
            e.machine or "-",
            e.kind.value,
            str(details)[:100],
        )
    console.print(table)
