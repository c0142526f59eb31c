"""`open_historian(url)`: one string picks the store, written as SQLAlchemy writes it.

- ``duckdb:///relative.duckdb`` (three slashes: a path relative to the working directory, or
  to the plant file when the URL is in one), ``duckdb:////abs/path.duckdb`` (four: absolute),
  a bare path (``jayul.duckdb``, ``/data/x.duckdb``), or ``:memory:`` / ``duckdb://`` /
  ``duckdb:///:memory:``: the embedded DuckDB historian. A ``?threads=N`` query caps DuckDB's
  worker threads.
- ``postgresql://user@host:port/db`` (or ``postgres://``, ``postgresql+psycopg://``): the
  PostgreSQL historian. A ``?schema=NAME`` query keeps its tables in that schema (created if
  missing).

``duckdb://name`` (two slashes and a name) is refused: SQLAlchemy would read `name` as a host,
and a path there is easily meant relative or absolute; the error says which form to write.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jayul.historian.base import Historian
from jayul.historian.duckdb_store import DuckDBHistorian

_POSTGRES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def _pop_query(url: str, key: str) -> tuple[str, str | None]:
    """The url without `key` in its query string, and that key's value."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    value = next((v for k, v in query if k == key), None)
    rest = urlencode([(k, v) for k, v in query if k != key])
    return urlunsplit(parts._replace(query=rest)), value


@dataclass(frozen=True)
class DuckDBUrl:
    """A DuckDB historian URL taken apart: the file (or ':memory:') and the thread cap."""

    path: str
    threads: int | None = None


def is_postgres(url: str) -> bool:
    return url.startswith(_POSTGRES)


def parse_duckdb_url(url: str) -> DuckDBUrl:
    """The DuckDB file a URL or bare path names; `ValueError` saying the right form if none."""
    threads: str | None = None
    path = url
    if "://" in url and not url.startswith("duckdb://"):
        raise ValueError(
            f"historian url {url!r}: expected duckdb:///relative.duckdb, "
            "duckdb:////absolute.duckdb, a path, or postgresql://user@host/db?schema=NAME"
        )
    if url.startswith("duckdb://"):
        # split by hand: urllib folds the empty host of "duckdb:////abs" away
        rest, _, query = url.removeprefix("duckdb://").partition("?")
        for key, value in parse_qsl(query, keep_blank_values=True):
            if key != "threads":
                raise ValueError(f"historian url {url!r}: unknown option {key!r} (threads=N)")
            threads = value
        if rest in ("", ":memory:", "/:memory:", "/"):
            path = ":memory:"
        elif not rest.startswith("/"):
            raise ValueError(
                f"historian url {url!r}: write duckdb:///{rest} for a path relative to the "
                f"working directory, or duckdb:////{rest} for /{rest}"
            )
        else:
            path = rest[1:]  # "/rel" -> "rel", "//abs" -> "/abs" (SQLAlchemy's convention)
    if threads is not None and not threads.isdigit():
        raise ValueError(f"historian url {url!r}: threads must be a whole number")
    return DuckDBUrl(path or ":memory:", int(threads) if threads else None)


def resolve_url(url: str, base: Path) -> str:
    """`url` with a relative DuckDB path made relative to `base` (a plant file's folder)."""
    if is_postgres(url):
        return url
    parsed = parse_duckdb_url(url)
    if parsed.path == ":memory:" or Path(parsed.path).is_absolute():
        return url
    absolute = (base / parsed.path).absolute()
    query = f"?threads={parsed.threads}" if parsed.threads is not None else ""
    return f"duckdb:///{absolute}{query}"


def open_historian(url: str) -> Historian:
    """Open (creating if needed) the historian that `url` names; see the module docstring."""
    if is_postgres(url):
        from jayul.historian.postgres_store import PostgresHistorian

        conninfo, schema = _pop_query(
            url.replace("postgresql+psycopg://", "postgresql://"), "schema"
        )
        return PostgresHistorian(conninfo, schema=schema or "public")
    parsed = parse_duckdb_url(url)
    return DuckDBHistorian(parsed.path, threads=parsed.threads)
