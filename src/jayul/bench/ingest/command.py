"""`jayul bench ingest`: MQTT -> durable buffer -> historian throughput, latency and losses;
`--faults` for broker, database and process failures; `--opcua-vars` for OPC UA."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Any

import psycopg
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jayul.shell.errors import fail
from jayul.shell.report import write_report

console = Console()
DEFAULT_PG = os.environ.get("JAYUL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


class Store(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"


def _store_url(store: Store, url: str, work: Path) -> tuple[str, str | None]:
    """The historian URL of a fresh store, and the PostgreSQL schema to drop afterwards."""
    if store is Store.duckdb:
        return f"duckdb:///{work / 'bench.duckdb'}?threads=1", None
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        fail(f"--url {url}: cannot connect: {exc}")
    schema = f"jayul_bench_ingest_{uuid.uuid4().hex[:10]}"
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}schema={schema}", schema


def _drop(url: str, schema: str | None) -> None:
    if schema is None:
        return
    for _ in range(30):  # the server may still be coming back from a restart
        try:
            with psycopg.connect(url, autocommit=True) as con:
                con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            return
        except psycopg.OperationalError:
            time.sleep(1)


def _show(title: str, figures: dict[str, Any]) -> None:
    table = Table(title=title)
    table.add_column("figure")
    table.add_column("value", justify="right")
    for k, v in figures.items():
        if isinstance(v, float):
            v = f"{v:,.1f}"
        elif isinstance(v, int):
            v = f"{v:,}"
        table.add_row(k, str(v))
    console.print(table)


def bench_ingest(
    store: Store = typer.Option(Store.duckdb, help="Historian to ingest into."),
    url: str = typer.Option(DEFAULT_PG, help="PostgreSQL server (a fresh schema is used)."),
    rate: float = typer.Option(50_000, min=1, help="Samples per second offered."),
    seconds: float = typer.Option(60, min=1, help="How long the publisher runs."),
    batch: int = typer.Option(1000, min=1, help="Samples per MQTT message."),
    port: int = typer.Option(1883, help="Mosquitto port (not used with --faults)."),
    malformed: int = typer.Option(
        0, min=0, help="Malformed messages to mix into the valid stream (spread over the run)."
    ),
    faults: bool = typer.Option(
        False, "--faults", help="Restart the broker twice, PostgreSQL once, SIGKILL jayul once."
    ),
    opcua_vars: int = typer.Option(
        0, min=0, help="Instead: OPC UA, this many variables changing at 1 Hz."
    ),
    keep: bool = typer.Option(False, help="Keep the PostgreSQL schema and work directory."),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
) -> None:
    """Ingest benchmark: the publisher's acknowledged samples against what the store holds."""
    work = Path(tempfile.mkdtemp(prefix="jayul-bench-ingest-"))
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("ingest", total=seconds)
        if opcua_vars:
            from jayul.bench.ingest.opcua import run_opcua_bench

            figures = run_opcua_bench(
                opcua_vars, int(seconds), lambda t: bar.update(task, completed=t), work
            )
            title = f"OPC UA: {opcua_vars} variables at 1 Hz"
        else:
            historian, schema = _store_url(store, url, work)
            try:
                if faults:
                    from jayul.bench.ingest.faults import run_fault_trial

                    figures = run_fault_trial(
                        historian,
                        work,
                        rate=rate,
                        seconds=seconds,
                        batch=batch,
                        restart_pg=store is Store.postgres,
                        progress=lambda t, what: bar.update(task, completed=t, description=what),
                    )
                    title = f"MQTT -> {store.value} with faults"
                else:
                    from jayul.bench.ingest.harness import run_mqtt_ingest

                    per_valid = 1
                    every = 0
                    if malformed:
                        valid_msgs = max(int(rate / batch * seconds), 1)
                        per_valid = max(-(-malformed // valid_msgs), 1)
                        every = 1
                    figures = run_mqtt_ingest(
                        historian,
                        rate=rate,
                        seconds=seconds,
                        batch=batch,
                        port=port,
                        malformed_every=every,
                        malformed_per_valid=per_valid,
                        malformed_total=malformed,
                        progress=lambda t: bar.update(task, completed=t),
                        workdir=work,
                    )
                    title = f"MQTT -> {store.value}"
            except RuntimeError as exc:
                fail(str(exc))
            finally:
                if not keep:
                    _drop(url, schema)
    figures["wall_s"] = round(time.perf_counter() - started, 1)
    figures["cpu_count"] = os.cpu_count()
    figures["load_avg_1min"] = os.getloadavg()[0]
    _show(title, {k: v for k, v in figures.items() if not isinstance(v, dict | list)})
    write_report(report, figures)
