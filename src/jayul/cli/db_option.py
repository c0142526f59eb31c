"""The one `--db` every command takes: the plant database, `jayul.duckdb` or `$JAYUL_DB`.

The historian, the gate, governance and the console's users share that file (or the historian
sits in PostgreSQL: `postgresql://user@host/db?schema=s`, which `jayul query`, `jayul import`
and `jayul deadletters` accept). URLs follow SQLAlchemy (`jayul.historian.open`).

The demo and `jayul serve` run a simulated plant and start from an empty database; they
replace only a file that a simulated run made (a `jayul_scratch` table marks it), so a plant's
real history is never deleted by a demo pointed at it by mistake.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import typer

from jayul.govern.db import DEFAULT_DB
from jayul.historian.open import is_postgres, parse_duckdb_url
from jayul.shell.errors import fail

DB_ENV = "JAYUL_DB"
DB_HELP = (
    f"The plant database: a DuckDB file or URL (duckdb:///relative.duckdb, "
    f"duckdb:////absolute.duckdb) or postgresql://user@host/db?schema=NAME where the "
    f"historian alone is used. Default {DEFAULT_DB}, or ${DB_ENV}."
)
SCRATCH_TABLE = "jayul_scratch"


def duckdb_file(db: str | Path) -> Path:
    """The DuckDB file of a `--db` value; `typer.BadParameter` for PostgreSQL or a bad URL."""
    text = str(db)
    if is_postgres(text):
        raise typer.BadParameter(
            f"{text}: the gate, governance and users keep their tables in a DuckDB file"
        )
    try:
        path = parse_duckdb_url(text).path
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if path == ":memory:":
        raise typer.BadParameter(f"{text}: a file is needed, not an in-memory database")
    return Path(path)


def historian_url(db: str) -> str:
    """A `--db` value checked as a historian URL (DuckDB or PostgreSQL)."""
    if not is_postgres(db):
        try:
            parse_duckdb_url(db)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    return db


# `--db` for commands on the DuckDB plant database (gate, governance, users): a Path
DB_FILE_OPTION: Any = typer.Option(
    DEFAULT_DB, "--db", envvar=DB_ENV, parser=duckdb_file, help=DB_HELP, show_envvar=True
)
# `--db` for commands that read or write only the historian (DuckDB or PostgreSQL): a URL
DB_URL_OPTION: Any = typer.Option(
    DEFAULT_DB, "--db", envvar=DB_ENV, parser=historian_url, help=DB_HELP, show_envvar=True
)
# `--db` for commands given a plant file: unset, the historian that `jayul run --plant` of the
# same file writes (its connect.historian, beside the file), see `plant_historian`
PLANT_DB_URL_OPTION: Any = typer.Option(
    None,
    "--db",
    envvar=DB_ENV,
    parser=historian_url,
    help="The historian: a DuckDB file or URL (duckdb:///relative.duckdb, "
    "duckdb:////absolute.duckdb) or postgresql://user@host/db?schema=NAME. Default: the "
    f"plant file's connect.historian (where `jayul run --plant` stores), else {DEFAULT_DB}, "
    f"or ${DB_ENV}.",
    show_envvar=True,
)


def plant_historian(db: str | None, plant_file: Path | None) -> str:
    """The historian a command given `--plant` uses: `--db` (or $JAYUL_DB) when set, else the
    plant file's `connect.historian` taken from the file's folder, the one `jayul run --plant`
    writes, so history imported before a run is the history the run reads; without a plant
    file, jayul.duckdb here."""
    if db is not None:
        return db
    if plant_file is None:
        return DEFAULT_DB
    from jayul.connect.bindings import BindingsError, load_bindings

    try:
        return load_bindings(plant_file).historian_url()
    except BindingsError as exc:
        fail(str(exc))


# `--plant` for commands on what `jayul run --plant FILE` recorded
PLANT_FILE_OPTION: Any = typer.Option(
    None,
    "--plant",
    help="A plant file run with `jayul run --plant`: use the databases that run keeps (its "
    "historian, or its gate database gate.duckdb in connect.buffer's folder) instead of --db.",
)


def plant_gate_db(db: Path, plant_file: Path | None, line: str | None = None) -> Path:
    """The gate database a command given `--plant` uses: the one `jayul run --plant` of that
    file keeps (gate.duckdb in the durable buffer's folder, as `jayul run` prints at start);
    without a plant file, `--db`. A `line` given is checked against the file's lines."""
    if plant_file is None:
        return db
    from jayul.connect.bindings import BindingsError, load_bindings

    try:
        bindings = load_bindings(plant_file)
    except BindingsError as exc:
        fail(str(exc))
    lines = bindings.plant.lines
    if line is not None and line not in lines:
        fail(f"line {line!r} is not in {plant_file} (lines: {', '.join(lines)})")
    return bindings.gate_db()


def replace_scratch(db: Path, made_by: str) -> None:
    """Start a simulated run afresh in `db`, refusing a file it did not make itself."""
    if db.exists():
        try:
            con = duckdb.connect(str(db), read_only=True)
        except duckdb.Error as exc:
            fail(f"{db}: cannot open it ({exc}); pass --db another file for the {made_by}")
        try:
            tables = {
                r[0]
                for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
            }
        finally:
            con.close()
        if tables and SCRATCH_TABLE not in tables:
            fail(
                f"{db} holds data that no simulated run made (a plant's history?); it is kept. "
                f"Pass --db another file for the {made_by}."
            )
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db))
    try:
        con.execute(f"CREATE TABLE {SCRATCH_TABLE} (made_by VARCHAR)")
        con.execute(f"INSERT INTO {SCRATCH_TABLE} VALUES (?)", [made_by])
    finally:
        con.close()
