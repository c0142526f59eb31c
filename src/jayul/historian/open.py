"""`open_historian(url)`: one string picks the store.

- ``duckdb:///path/to/file.duckdb``, ``duckdb://relative.duckdb``, a bare path, or
  ``duckdb://:memory:`` / ``:memory:``: the embedded DuckDB historian. A ``?threads=N`` query
  caps DuckDB's worker threads.
- ``postgresql://user@host:port/db`` (or ``postgres://``): the PostgreSQL historian. A
  ``?schema=NAME`` query keeps its tables in that schema (created if missing).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jayul.historian.base import Historian
from jayul.historian.duckdb_store import DuckDBHistorian


def _pop_query(url: str, key: str) -> tuple[str, str | None]:
    """The url without `key` in its query string, and that key's value."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    value = next((v for k, v in query if k == key), None)
    rest = urlencode([(k, v) for k, v in query if k != key])
    return urlunsplit(parts._replace(query=rest)), value


def open_historian(url: str) -> Historian:
    """Open (creating if needed) the historian that `url` names; see the module docstring."""
    if url.startswith(("postgresql://", "postgres://")):
        from jayul.historian.postgres_store import PostgresHistorian

        conninfo, schema = _pop_query(url, "schema")
        return PostgresHistorian(conninfo, schema=schema or "public")
    threads: str | None = None
    path = url
    if url.startswith("duckdb:"):
        path, threads = _pop_query(url, "threads")
        path = path.removeprefix("duckdb:").removeprefix("//").rstrip("?")
    path = path or ":memory:"
    if "://" in path:
        raise ValueError(
            f"historian url {url!r}: expected duckdb:///file, duckdb://:memory:, a path, "
            "or postgresql://..."
        )
    if threads is not None and not threads.isdigit():
        raise ValueError(f"historian url {url!r}: threads must be a whole number")
    return DuckDBHistorian(path, threads=int(threads) if threads else None)
