"""A decision made with `jayul approvals approve|reject`, recorded in the plant's historian.

The console and the API record each decision as an `approval` event in the historian, where
the history explorer, `jayul query events` and the exports show it beside the alerts and
actions. The command line does the same after the decision is stored in the gate database.
The historian may be out of reach (held by a running `jayul run`, a server down): the
decision then stands in the gate database and its audit trail, and the command says the
historian did not get it.
"""

from __future__ import annotations

from pathlib import Path

from jayul.cli.db_lock import lock_holder
from jayul.historian.open import is_postgres, open_historian, parse_duckdb_url
from jayul.records.events import Event


def record_in_historian(url: str, event: Event) -> str | None:
    """Store `event` in the historian at `url`; None when done, else why not (in words).
    A DuckDB historian that does not exist yet is not created: nothing ran on it."""
    where = url
    if not is_postgres(url):
        where = parse_duckdb_url(url).path
        if where != ":memory:" and not Path(where).exists():
            return f"there is no historian at {where} (no run has stored anything there yet)"
    try:
        historian = open_historian(url)
    except Exception as exc:  # any store, any reason: the decision itself is already safe
        pid = lock_holder(str(exc))
        if pid is not None:
            return (
                f"the historian {where} is held by another process (PID {pid}; a running "
                "`jayul run`?): DuckDB lets one process open a file at a time"
            )
        return f"cannot open the historian {where}: {exc}"
    try:
        historian.append_events([event])
    except Exception as exc:
        return f"cannot write to the historian {where}: {exc}"
    finally:
        historian.close()
    return None
