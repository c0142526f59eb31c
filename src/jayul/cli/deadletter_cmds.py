"""`jayul deadletters list|show|replay`: the input jayul could not use, and a second chance."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from jayul.cli.db_option import PLANT_DB_URL_OPTION, PLANT_FILE_OPTION, plant_historian
from jayul.cli.query import open_existing
from jayul.connect.bindings import BindingsError, load_bindings
from jayul.connect.replay import replay
from jayul.historian.sql_store import SqlHistorian
from jayul.records.timebase import from_ns
from jayul.shell.errors import fail

deadletters_app = typer.Typer(
    help="Dead letters: what could not be stored, why, and a replay.", no_args_is_help=True
)
console = Console(soft_wrap=True)  # a summary stays one line, greppable


def _store(db: str) -> SqlHistorian:
    historian = open_existing(db)
    if not isinstance(historian, SqlHistorian):  # every store jayul ships is one
        fail(f"{db}: this historian does not number its dead letters")
    return historian


def _preview(raw: bytes, width: int = 60) -> str:
    text = raw.decode("utf-8", errors="replace").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


@deadletters_app.command("list")
def list_letters(
    reason: str | None = typer.Option(None, help="Only reasons containing this text."),
    source: str | None = typer.Option(None, help="Only sources containing this (mqtt:, import:)."),
    limit: int = typer.Option(20, min=1, help="At most this many (newest first)."),
    db: str | None = PLANT_DB_URL_OPTION,
    plant: Path | None = PLANT_FILE_OPTION,
) -> None:
    """Counts by reason, then the newest dead letters."""
    h = _store(plant_historian(db, plant))
    with h:
        counts = h.dead_letter_counts()
        rows = h.dead_letters_numbered(limit, reason=reason, source=source)
    if not counts:
        console.print("no dead letters")
        return
    summary = Table(title=f"{sum(n for *_, n in counts):,} dead letters by reason")
    for col in ("count", "source", "reason"):
        summary.add_column(col, justify="right" if col == "count" else "left")
    for r, kind, n in counts[:15]:
        summary.add_row(f"{n:,}", kind, r)
    console.print(summary)
    table = Table(title=f"newest {len(rows)}")
    for col in ("seq", "time", "source", "reason", "raw"):
        table.add_column(col)
    for seq, d in rows:
        table.add_row(
            str(seq), f"{from_ns(d.time_ns):%Y-%m-%d %H:%M:%S}", d.source, d.reason, _preview(d.raw)
        )
    console.print(table)


@deadletters_app.command("show")
def show_letter(
    seq: int = typer.Argument(..., help="The dead letter's number (from `list`)."),
    db: str | None = PLANT_DB_URL_OPTION,
    plant: Path | None = PLANT_FILE_OPTION,
) -> None:
    """One dead letter whole: time, source, reason and raw bytes (as JSON when they are)."""
    db = plant_historian(db, plant)
    h = _store(db)
    with h:
        found = h.dead_letters_numbered(1, seqs=[seq])
    if not found:
        fail(f"no dead letter number {seq} in {db}")
    _, d = found[0]
    console.print(f"seq     {seq}\ntime    {from_ns(d.time_ns).isoformat()}", highlight=False)
    console.print(f"source  {d.source}\nreason  {d.reason}", highlight=False)
    try:
        console.print_json(d.raw.decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        console.print(f"raw ({len(d.raw)} bytes): {d.raw!r}", highlight=False)


@deadletters_app.command("replay")
def replay_letters(
    plant_file: Path = typer.Option(
        ...,
        "--plant",
        help="The plant file with the fixed mapping; unless --db is given, the dead letters "
        "are those of the historian `jayul run --plant` of this file writes.",
    ),
    seq: list[int] = typer.Option(None, help="Only these numbers (repeat); default all matching."),
    reason: str | None = typer.Option(None, help="Only reasons containing this text."),
    source: str | None = typer.Option(None, help="Only sources containing this text."),
    db: str | None = PLANT_DB_URL_OPTION,
) -> None:
    """Parse dead letters again with the plant file as it is now; store what passes (idempotent:
    replaying twice stores once). Dead letters are kept, never deleted."""
    try:
        bindings = load_bindings(plant_file)
    except BindingsError as exc:
        fail(str(exc))
    h = _store(plant_historian(db, plant_file))
    with h:
        letters = h.dead_letters_numbered(None, reason=reason, source=source, seqs=seq or None)
        outcomes = replay(bindings, h, letters)
    ok = [o for o in outcomes if o.ok]
    stored = sum(o.stored for o in outcomes)
    samples = sum(o.samples for o in outcomes)
    console.print(
        f"{len(letters)} dead letters replayed: {len(ok)} now usable ({samples:,} samples, "
        f"{stored:,} stored, {samples - stored:,} stored already), "
        f"{len(outcomes) - len(ok)} still refused",
        highlight=False,
    )
    still: dict[str, int] = {}
    for o in outcomes:
        for r in o.reasons:
            still[r] = still.get(r, 0) + 1
    for r, n in sorted(still.items(), key=lambda kv: -kv[1])[:10]:
        console.print(f"  {n:,} x {r}", highlight=False)
