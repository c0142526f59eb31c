"""`jayul bench historian`: append throughput and bucketed 1-day query latency of a store."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from jayul.bench.historian.harness import DAY_NS, NS_PER_S, measure_queries, run_historian_bench
from jayul.historian import DuckDBHistorian, Historian
from jayul.historian.postgres_store import PostgresHistorian
from jayul.shell.report import write_report

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


class StoreKind(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"


def _open(store: StoreKind, path: Path | None, url: str, threads: int | None) -> Historian:
    if store is StoreKind.duckdb and path is not None:
        return DuckDBHistorian(path, threads=threads)
    try:
        return PostgresHistorian(url, schema=f"jayul_bench_{uuid.uuid4().hex[:10]}")
    except psycopg.OperationalError as exc:
        raise typer.BadParameter(f"cannot connect to {url}: {exc}", param_hint="--url") from exc


def _cleanup(h: Historian, temp_dir: Path | None) -> None:
    """Drop what the run made: the benchmark schema, or the temporary DuckDB file."""
    if isinstance(h, PostgresHistorian):
        h.drop_schema()
        return
    h.close()
    if temp_dir is not None:
        shutil.rmtree(temp_dir, ignore_errors=True)


def _after_vacuum(
    h: PostgresHistorian, figures: dict[str, Any], queries: int, bucket_s: int
) -> dict[str, Any]:
    """The same queries again once VACUUM has marked pages all-visible (index-only scans)."""
    t0 = time.perf_counter()
    h.vacuum()
    vacuum_s = time.perf_counter() - t0
    span_ns = int(figures["span_days"] * DAY_NS)
    machines, signals = figures["machines"], figures["signals"]
    again = measure_queries(h, span_ns, machines, signals, queries, DAY_NS, bucket_s * NS_PER_S)
    return {
        "vacuum_seconds": vacuum_s,
        "after_vacuum_query_ms_median": again["query_ms_median"],
        "after_vacuum_query_ms_p95": again["query_ms_p95"],
    }


def bench_historian(
    samples: Annotated[
        int | None, typer.Option(help="Samples to store (default 100 M DuckDB, 10 M Postgres)")
    ] = None,
    batch: Annotated[int, typer.Option(help="Samples per append_samples call")] = 100_000,
    store: Annotated[StoreKind, typer.Option(help="Which historian")] = StoreKind.duckdb,
    path: Annotated[
        Path | None, typer.Option(help="DuckDB file to create (default: a temporary file)")
    ] = None,
    url: Annotated[str, typer.Option(help="PostgreSQL URL (a fresh schema is used)")] = (
        os.environ.get("JAYUL_TEST_PG", DEFAULT_PG)
    ),
    threads: Annotated[int | None, typer.Option(help="DuckDB threads (default: all)")] = None,
    queries: Annotated[int, typer.Option(help="Bucketed 1-day queries to time")] = 20,
    bucket_s: Annotated[int, typer.Option(help="Bucket width in seconds")] = 60,
    dedupe: Annotated[
        bool, typer.Option(help="Append with dedupe=True (the anti-join path) instead")
    ] = False,
    keep: Annotated[bool, typer.Option(help="Keep the filled store afterwards")] = False,
    report: Annotated[Path | None, typer.Option(help="Write the figures as JSON here")] = None,
) -> None:
    """Fill a fresh historian with synthetic samples; time appends and bucketed queries."""
    n = samples if samples is not None else (100_000_000 if store is StoreKind.duckdb else 10**7)
    if n <= 0 or batch <= 0 or queries <= 0 or bucket_s <= 0:
        raise typer.BadParameter("--samples, --batch, --queries and --bucket-s must be positive")
    if path is not None and path.exists():
        raise typer.BadParameter(f"{path} already exists; give a new file", param_hint="--path")
    temp_dir: Path | None = None
    if store is StoreKind.duckdb and path is None:
        temp_dir = Path(tempfile.mkdtemp(prefix="jayul-bench-"))
        path = temp_dir / "bench.duckdb"
    console = Console()
    historian = _open(store, path, url, threads)
    try:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(f"appending to {store.value}", total=n)
            figures: dict[str, Any] = {"store": store.value}
            figures.update(
                run_historian_bench(
                    historian,
                    n,
                    batch,
                    queries=queries,
                    bucket_ns=bucket_s * NS_PER_S,
                    progress=lambda k: progress.advance(task, k),
                    dedupe=dedupe,
                )
            )
        if isinstance(historian, PostgresHistorian):
            figures.update(_after_vacuum(historian, figures, queries, bucket_s))
    finally:
        if keep:
            historian.close()
            console.print(f"kept the store: {path if store is StoreKind.duckdb else url}")
        else:
            _cleanup(historian, temp_dir)
    write_report(report, figures)
    table = Table("figure", "value")
    for key in (
        "stored_samples",
        "append_samples_per_s",
        "query_ms_median",
        "query_ms_p95",
        "samples_per_query_median",
        "after_vacuum_query_ms_median",
        "after_vacuum_query_ms_p95",
        "append_target_met",
        "query_target_met",
    ):
        if key not in figures:
            continue
        value = figures[key]
        table.add_row(key, f"{value:,.1f}" if isinstance(value, float) else str(value))
    console.print(table)
