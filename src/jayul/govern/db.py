"""The plant database (a DuckDB file) as governance and the gate use it.

The historian keeps its own tables (`samples`, `events`, `dead_letters`, ...) in the same file;
governance and the gate keep theirs (`audit_log`, `audit_head`, `approvals`, `autonomy`,
`models`) and never touch the historian's. DuckDB allows one writing process per file, so the
command line opens the file only when no running demo holds it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

DEFAULT_DB = "jayul.duckdb"  # every command's --db default (cli/db_option.py)

Connection = duckdb.DuckDBPyConnection


def connect(
    path: str | Path = ":memory:", read_only: bool = False, threads: int | None = None
) -> Connection:
    """Open (or create) the plant database; a clear `OSError` when it cannot be opened.

    In a process that already holds the file (the historian opens it with `threads=N`), open
    it with the same `threads`, or better pass a cursor of that connection to the gate and
    governance classes: DuckDB refuses a second configuration for the same file.
    """
    target = str(path)
    if target != ":memory:":
        if read_only and not Path(target).exists():
            raise FileNotFoundError(f"{target}: no such plant database")
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | bool | int | float | list[str]] = {}
    if threads is not None:
        config["threads"] = threads
    try:
        return duckdb.connect(target, read_only=read_only, config=config)
    except (duckdb.IOException, duckdb.ConnectionException) as exc:
        raise OSError(f"{target}: cannot open the plant database ({exc})") from None


def as_connection(db: str | Path | Connection) -> Connection:
    """Accept a path, ":memory:" or an open connection (shared with the historian)."""
    if isinstance(db, duckdb.DuckDBPyConnection):
        return db
    return connect(db)


def has_table(con: Connection, name: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()
    return bool(rows[0][0])
