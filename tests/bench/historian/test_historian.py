"""The historian benchmark, small: it runs end to end and its figures add up."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from jayul.bench.historian.harness import DAY_NS, START_NS, run_historian_bench, synthetic_batches
from jayul.cli.main import app
from jayul.historian import DuckDBHistorian


def test_synthetic_batches_cover_every_series_in_time_order() -> None:
    batches = list(synthetic_batches(25_050, 10_000, machines=3, signals=5))
    assert [len(b) for b in batches] == [10_000, 10_000, 5_050]
    t = np.concatenate([b.time for b in batches])
    assert t[0] == START_NS and np.all(np.diff(t) >= 0)
    pairs = {(m, s) for b in batches for m, s in zip(b.machine, b.signal, strict=True)}
    assert len(pairs) == 15


def test_run_on_duckdb_counts_what_it_stored() -> None:
    with DuckDBHistorian(":memory:", threads=1) as h:
        figures = run_historian_bench(h, 200_000, 50_000, queries=5)
    assert figures["samples_appended"] == figures["stored_samples"] == 200_000
    assert figures["batches"] == 4
    assert figures["append_samples_per_s"] > 0
    assert 0 < figures["query_ms_median"] <= figures["query_ms_p95"] <= figures["query_ms_max"]
    # 2000 steps of 1 s, all inside one 1-day window: every query sees its whole series
    assert figures["samples_per_query_median"] == 2_000
    assert figures["span_days"] == 2_000 * 10**9 / DAY_NS
    assert figures["at_target_scale"] is False


def test_dedupe_run_stores_each_sample_once() -> None:
    with DuckDBHistorian(":memory:", threads=1) as h:
        figures = run_historian_bench(h, 20_000, 5_000, queries=2, dedupe=True)
    assert figures["dedupe"] is True and figures["stored_samples"] == 20_000
    assert figures["append_target_met"] is False  # the target is for the plain path only


def test_cli_writes_a_report(tmp_path: Path) -> None:
    report = tmp_path / "historian.json"
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "historian",
            "--samples",
            "200000",
            "--threads",
            "1",
            "--queries",
            "3",
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(report.read_text())
    assert figures["store"] == "duckdb" and figures["stored_samples"] == 200_000


def test_cli_on_postgres_drops_its_schema(tmp_path: Path) -> None:
    report = tmp_path / "pg.json"
    url = os.environ.get("JAYUL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "historian",
            "--store",
            "postgres",
            "--url",
            url,
            "--samples",
            "20000",
            "--batch",
            "5000",
            "--queries",
            "3",
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(report.read_text())
    assert figures["stored_samples"] == 20_000
    assert figures["after_vacuum_query_ms_p95"] > 0


def test_cli_refuses_bad_arguments(tmp_path: Path) -> None:
    existing = tmp_path / "there.duckdb"
    existing.write_text("")
    runner = CliRunner()
    result = runner.invoke(app, ["bench", "historian", "--path", str(existing)])
    assert result.exit_code == 2 and "already exists" in result.output
    result = runner.invoke(app, ["bench", "historian", "--samples", "0"])
    assert result.exit_code == 2 and "must be positive" in result.output
