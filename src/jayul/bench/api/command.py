"""`jayul bench api`: recent-signal requests per second, and the browser's CPU on a machine
page with 8 live signals at 1 Hz. `jayul bench lock-wait`: how long requests that take the
plant's lock wait while proposals are verified on the twin."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from rich.console import Console

from jayul.bench.api.harness import (
    api_throughput,
    browser_cpu,
    chromium_path,
    eight_signal_plant,
    login,
    serve,
)
from jayul.bench.api.lock_wait import lock_wait, verifying_plant
from jayul.shell.errors import fail
from jayul.shell.report import write_report

console = Console()


def bench_api(
    seconds: float = typer.Option(10.0, min=1.0, help="Seconds of load per API run."),
    clients: int = typer.Option(4, min=1, max=64, help="Client processes (one connection each)."),
    rows: int = typer.Option(60, min=1, max=7200, help="Rows per request (60 = 1 h at 1/min)."),
    browser_seconds: float = typer.Option(
        20.0, min=0.0, help="Seconds of browser CPU measurement (0 skips it)."
    ),
    screenshot: Path | None = typer.Option(None, help="Save the machine page here (PNG)."),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
) -> None:
    """Serve the demo plant (pumps with 8 signals) at 60x, so one row per signal per second."""
    if browser_seconds > 0 and chromium_path() is None:
        fail("chromium is not installed: apt-get install chromium (or --browser-seconds 0)")
    figures: dict[str, object] = {"speed": 60.0, "signals_on_page": 8}
    with tempfile.TemporaryDirectory() as tmp:
        plant = eight_signal_plant(Path(tmp) / "plant.yaml")
        log = Path(tmp) / "serve.log"
        try:
            with serve(Path(tmp) / "bench.duckdb", plant, speed=60.0, log=log) as server:
                if browser_seconds > 0:
                    console.print(f"browser: machine page of pump1 for {browser_seconds:g} s")
                    cpu = browser_cpu(
                        server.url,
                        "admin",
                        server.admin_password,
                        "pump1",
                        seconds=browser_seconds,
                        screenshot=screenshot,
                    )
                    figures["browser"] = cpu
                    console.print(
                        f"  {cpu['charts']} charts, CPU {cpu['cpu_share_of_one_core']:.1%} of one "
                        f"core (live {cpu['live_from']} -> {cpu['live_to']})"
                    )
                token = login(server.url, "admin", server.admin_password)
                for vary in (False, True):
                    r = api_throughput(server.url, token, "pump1", seconds, clients, rows, vary)
                    figures["api_cached" if not vary else "api_uncached"] = r
                    console.print(
                        f"api ({'cached' if not vary else 'uncached'}): "
                        f"{r['requests_per_s']:,.0f} req/s, p50 {r['latency_p50_ms']:.1f} ms, "
                        f"p99 {r['latency_p99_ms']:.1f} ms, {r['errors']} errors"
                    )
        except RuntimeError as exc:
            tail = log.read_text()[-2000:] if log.exists() else ""
            fail(f"{exc}\n{tail}")
    write_report(report, figures)


def bench_lock_wait(
    seconds: float = typer.Option(20.0, min=1.0, help="Seconds of each phase (idle, verifying)."),
    every: float = typer.Option(0.02, min=0.0, help="Seconds between two timed reads."),
    warmup_h: float = typer.Option(48.0, min=1.0, help="Plant hours run before measuring."),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
) -> None:
    """Latency of GET /api/approvals and /api/alarms (they take the plant's lock), alone and
    while maintenance proposals are verified back to back (8 futures x 7 days each), on the
    demo plant served in this process."""
    with tempfile.TemporaryDirectory() as tmp:
        state = verifying_plant(Path(tmp) / "bench.duckdb", warmup_h)
        try:
            figures = lock_wait(state, seconds, every)
        finally:
            state.stop()
    for phase in ("reads_idle", "reads_while_verifying", "proposals"):
        f = figures[phase]
        console.print(
            f"{phase}: {f['n']} requests, p50 {f['p50_ms']:.1f} ms, p95 {f['p95_ms']:.1f} ms, "
            f"max {f['max_ms']:.1f} ms"
        )
    console.print(f"proposal outcomes: {figures['proposal_outcomes']}")
    write_report(report, figures)
