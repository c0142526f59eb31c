"""One fixture, every store: the contract tests run against DuckDB (memory, file) and PostgreSQL.

PostgreSQL comes from env JAYUL_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test);
each test gets a fresh random schema, dropped afterwards, so parallel runs never clash. If the
server is unreachable the postgres tests FAIL (CI starts it), with a message saying how to start.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from jayul.historian import Historian, open_historian

PG_URL = os.environ.get("JAYUL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
STORES = ["duckdb-memory", "duckdb-file", "postgres"]


@dataclass
class Store:
    """A store under test: `open()` gives a new historian on the same storage."""

    kind: str
    url: str
    reopenable: bool

    def open(self) -> Historian:
        return open_historian(self.url)


def _pg_connect_or_fail() -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL historian tests need a server at {PG_URL} (set JAYUL_TEST_PG), "
            f"and it is unreachable: {error}. Start it with: pg_ctlcluster "
            "--skip-systemctl-redirect $(ls /etc/postgresql) main start",
            pytrace=False,
        )


@pytest.fixture
def pg_schema() -> Iterator[Callable[[], str]]:
    """A factory of fresh PostgreSQL schema names; every schema made is dropped afterwards."""
    made: list[str] = []

    def make() -> str:
        name = f"jayul_test_{uuid.uuid4().hex[:12]}"
        made.append(name)
        return name

    yield make
    if made:
        con = _pg_connect_or_fail()
        with con:
            for name in made:
                con.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path, pg_schema: Callable[[], str]) -> Store:
    kind: str = request.param
    if kind == "duckdb-memory":
        return Store(kind, "duckdb://:memory:?threads=1", reopenable=False)
    if kind == "duckdb-file":
        return Store(kind, f"duckdb:///{tmp_path / 'historian.duckdb'}?threads=1", reopenable=True)
    _pg_connect_or_fail().close()
    sep = "&" if "?" in PG_URL else "?"
    return Store(kind, f"{PG_URL}{sep}schema={pg_schema()}", reopenable=True)


@pytest.fixture
def historian(store: Store) -> Iterator[Historian]:
    with store.open() as h:
        yield h
