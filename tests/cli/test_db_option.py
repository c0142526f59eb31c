"""One `--db` for every command: its default, JAYUL_DB, URL forms, PostgreSQL for `query`."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
import pytest
from typer.testing import CliRunner

from jayul.cli.main import app
from jayul.historian import open_historian
from jayul.records import Samples

PG_URL = os.environ.get("JAYUL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
T0 = 1_767_225_600_000_000_000
runner = CliRunner()


def _fill(url: str) -> None:
    with open_historian(url) as h:
        t = T0 + np.arange(3, dtype=np.int64) * 10**9
        h.append_samples(Samples.build(t, "pump1", "flow", np.array([1.0, 2.0, 3.0])))


@pytest.fixture
def pg_url() -> Iterator[str]:
    schema = f"jayul_test_dbopt_{uuid.uuid4().hex[:10]}"
    yield f"{PG_URL}?schema={schema}"
    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_query_reads_postgresql(pg_url: str) -> None:
    _fill(pg_url)
    result = runner.invoke(app, ["query", "samples", "--machine", "pump1", "--db", pg_url])
    assert result.exit_code == 0, result.output
    assert "3 rows" in result.output


def test_every_form_of_the_same_file_and_jayul_db(tmp_path: Path) -> None:
    _fill(str(tmp_path / "h.duckdb"))
    for db in (str(tmp_path / "h.duckdb"), f"duckdb:///{tmp_path / 'h.duckdb'}"):
        result = runner.invoke(app, ["query", "samples", "--machine", "pump1", "--db", db])
        assert "3 rows" in result.output, result.output
    result = runner.invoke(
        app,
        ["query", "samples", "--machine", "pump1"],
        env={"JAYUL_DB": str(tmp_path / "h.duckdb")},
    )
    assert "3 rows" in result.output, result.output


def test_the_default_is_jayul_duckdb_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JAYUL_DB", raising=False)
    result = runner.invoke(app, ["query", "events"])
    assert result.exit_code == 2
    assert "jayul.duckdb: no historian there (pass --db or set JAYUL_DB)" in result.output
    assert "demo" not in result.output  # never suggests a command that replaces a database
    result = runner.invoke(app, ["models", "list"])
    assert "jayul.duckdb: no plant database here (pass --db or set JAYUL_DB)" in result.output
    result = runner.invoke(app, ["report"])  # the report of what `jayul demo` just wrote
    assert "jayul.duckdb: no such plant database (pass --db or set JAYUL_DB)" in result.output
    _fill("duckdb:///jayul.duckdb")  # three slashes: relative, as in SQLAlchemy
    assert (tmp_path / "jayul.duckdb").exists()
    result = runner.invoke(app, ["audit", "verify"])
    assert "no plant database" not in result.output


def test_bad_urls_are_refused_with_the_form_to_write(tmp_path: Path) -> None:
    result = runner.invoke(app, ["query", "events", "--db", "duckdb://x.duckdb"])
    assert result.exit_code == 2
    assert "duckdb:///x.duckdb" in result.output
    result = runner.invoke(app, ["models", "list", "--db", "postgresql://u@h/db"])
    assert result.exit_code == 2 and "DuckDB file" in result.output


def test_demo_never_replaces_a_plants_database(tmp_path: Path) -> None:
    db = tmp_path / "plant.duckdb"
    _fill(str(db))
    result = runner.invoke(app, ["demo", "--no-ui", "--days", "0.05", "--db", str(db)])
    assert result.exit_code == 2
    assert "holds data that no simulated run made" in result.output
    with open_historian(str(db)) as h:
        assert h.count_samples() == 3
