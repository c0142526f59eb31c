"""`jayul bench fleet`: simulated sites -> NATS JetStream -> the centre's PostgreSQL, across a
NATS restart, a centre SIGKILL and a site offline then catching up (docs/benchmarks/fleet.md)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from jayul.shell.errors import fail
from jayul.shell.report import write_report

console = Console()
DEFAULT_PG = os.environ.get("JAYUL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def bench_fleet(
    sites: int = typer.Option(10, min=1, max=1000, help="Simulated sites."),
    rate: float = typer.Option(1000, min=1, help="Samples per second each site offers."),
    seconds: float = typer.Option(60, min=10, help="How long the sites produce."),
    db: str = typer.Option(DEFAULT_PG, "--db", help="PostgreSQL server (a fresh schema is used)."),
    nats_url: str | None = typer.Option(
        None,
        "--nats",
        help="Use this NATS server instead of a private one (then no NATS restart is done).",
    ),
    no_offline: bool = typer.Option(False, "--no-offline", help="Keep every site online."),
    offline_at: float = typer.Option(
        0.6, min=0.0, max=1.0, help="When site 0 goes offline, as a fraction of --seconds."
    ),
    offline_s: float | None = typer.Option(
        None, min=1.0, help="How long site 0 stays offline (default: a fifth of --seconds)."
    ),
    nats_restart_at: float = typer.Option(
        0.25, min=0.0, max=1.0, help="When the NATS server restarts, as a fraction of --seconds."
    ),
    centre_kill_at: float = typer.Option(
        0.5, min=0.0, max=1.0, help="When the centre is SIGKILLed, as a fraction of --seconds."
    ),
    centre_writers: int = typer.Option(
        2, min=1, max=8, help="The centre's writers (jayul fleet serve --writers)."
    ),
    storage: bool = typer.Option(
        False, "--storage", help="Only compare the centre's storage layouts (docs/fleet.md)."
    ),
    report: Path | None = typer.Option(None, help="Write the figures as JSON here."),
) -> None:
    """N sites replaying demo plant samples faster than real time through JetStream into the
    centre's PostgreSQL: samples/s end to end, p99 latency, lost and duplicated samples, CPU
    seconds of each process (figures per CPU-second for the capacity model)."""
    try:
        psycopg.connect(db, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        fail(f"--db {db}: cannot connect: {exc}")
    if storage:
        from jayul.bench.fleet.storage import compare_layouts

        figures: dict[str, Any] = compare_layouts(db, sites=sites)
    else:
        from jayul.bench.fleet.harness import run_fleet

        with tempfile.TemporaryDirectory(prefix="jayul-bench-fleet-") as work:
            try:
                figures = run_fleet(
                    sites, rate, seconds, db, Path(work), nats_url, offline=not no_offline,
                    offline_at=offline_at, offline_s=offline_s, nats_restart_at=nats_restart_at,
                    centre_kill_at=centre_kill_at, centre_writers=centre_writers,
                    say=lambda m: console.print(m, highlight=False),
                )  # fmt: skip
            except (FileNotFoundError, RuntimeError) as exc:
                fail(f"cannot run the fleet: {exc} (or give --nats URL)")
    table = Table(title="jayul bench fleet")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for k, v in figures.items():
        table.add_row(k, f"{v:,}" if isinstance(v, int) else str(v))
    console.print(table)
    write_report(report, figures)
