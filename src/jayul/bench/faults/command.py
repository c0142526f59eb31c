"""`jayul bench faults`: `--fuzz N` bad messages against `jayul run`, or `--broker-loss` (single
samples at a fixed rate through the shipped broker settings with kills and broker restarts)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from jayul.bench.ingest.command import DEFAULT_PG, Store, _drop, _show, _store_url, console
from jayul.shell.errors import fail
from jayul.shell.report import write_report


def bench_faults(
    fuzz: int = typer.Option(
        0, min=0, help="Generated bad MQTT messages to send, interleaved with valid ones."
    ),
    bad_per_valid: int = typer.Option(1, min=1, help="--fuzz: bad messages after each valid one."),
    seed: int = typer.Option(0, help="--fuzz: seed of the generator."),
    broker_loss: bool = typer.Option(
        False, "--broker-loss", help="Single-sample messages at --rate with kills and restarts."
    ),
    samples: int = typer.Option(200_000, min=1, help="--broker-loss: messages (1 sample each)."),
    rate: float = typer.Option(500.0, min=1, help="--broker-loss: messages per second."),
    kills: int = typer.Option(5, min=0, help="--broker-loss: SIGKILLs of jayul run."),
    broker_restarts: int = typer.Option(1, min=0, help="--broker-loss: broker restarts."),
    broker_conf: Path | None = typer.Option(
        None,
        help="--broker-loss: Mosquitto settings to use instead of examples/mosquitto/jayul.conf "
        "(an empty file: Mosquitto's defaults).",
    ),
    store: Store = typer.Option(Store.postgres, help="Historian (PostgreSQL: a fresh schema)."),
    url: str = typer.Option(DEFAULT_PG, help="PostgreSQL server."),
    keep: bool = typer.Option(False, help="Keep the PostgreSQL schema and work directory."),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
) -> None:
    """Fault benchmarks of ingestion: the publisher's acknowledged messages against the store.
    Each runs `jayul run --ingest-only` as a process of its own, against a Mosquitto of its
    own configured with examples/mosquitto/jayul.conf."""
    if (fuzz > 0) == broker_loss:
        fail("give exactly one of --fuzz N and --broker-loss")
    if store is Store.duckdb:
        fail("--store duckdb cannot be read while jayul run holds it: use postgres")
    settings = None
    if broker_conf is not None:
        try:
            settings = broker_conf.read_text()
        except OSError as exc:
            fail(f"--broker-conf {broker_conf}: {exc.strerror}")
    work = Path(tempfile.mkdtemp(prefix="jayul-bench-faults-"))
    started = time.perf_counter()
    historian, schema = _store_url(store, url, work)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("starting", total=1.0)

        def progress(done: float, what: str) -> None:
            bar.update(task, completed=min(done, 1.0), description=what)

        try:
            if fuzz:
                from jayul.bench.faults.harness import run_fuzz

                figures = run_fuzz(
                    historian,
                    work,
                    fuzz,
                    bad_per_valid=bad_per_valid,
                    seed=seed,
                    progress=progress,
                )
                title = f"fuzz: {fuzz:,} bad messages against jayul run"
            else:
                from jayul.bench.faults.harness import run_broker_loss

                figures = run_broker_loss(
                    historian,
                    work,
                    samples=samples,
                    rate=rate,
                    kills=kills,
                    broker_restarts=broker_restarts,
                    broker_settings=settings,
                    progress=progress,
                )
                title = f"broker loss: {samples:,} messages at {rate:g} msg/s"
        except RuntimeError as exc:
            fail(str(exc))
        finally:
            if not keep:
                _drop(url, schema)
    figures["wall_s"] = round(time.perf_counter() - started, 1)
    figures["cpu_count"] = os.cpu_count()
    figures["load_avg_1min"] = os.getloadavg()[0]
    _show(title, {k: v for k, v in figures.items() if not isinstance(v, dict | list)})
    for k, v in figures.items():
        if isinstance(v, dict | list):
            console.print(f"{k}: {v}", highlight=False)
    write_report(report, figures)
