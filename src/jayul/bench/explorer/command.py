"""`jayul bench explorer`: the history explorer on a year of one-minute data for 8 signals."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from jayul.bench.api.harness import eight_signal_plant
from jayul.bench.explorer.harness import fill_year, time_explorer
from jayul.shell.report import write_report

console = Console()


def bench_explorer(
    draws: int = typer.Option(10, min=1, max=200, help="First draws of the whole year."),
    zooms: int = typer.Option(50, min=1, max=2000, help="Zooms (1 h to 30 days) into it."),
    buckets: int = typer.Option(800, min=10, max=5000, help="Buckets per answer (the page's)."),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
) -> None:
    """A year of 1-minute data for 8 signals (4.2 M samples): whole-year draw and zooms, ms of
    wall and CPU time, with a plain DuckDB query of the same buckets as the peer (ratios)."""
    with tempfile.TemporaryDirectory() as tmp:
        plant = eight_signal_plant(Path(tmp) / "plant.yaml")
        db = Path(tmp) / "year.duckdb"
        with console.status("writing a year of one-minute data for 8 signals") as status:
            started = time.perf_counter()
            year = fill_year(db, plant)
            fill_s = time.perf_counter() - started
            figures = time_explorer(
                db, plant, year, draws=draws, zooms=zooms, buckets=buckets,
                progress=lambda what: status.update(what),
            )  # fmt: skip
    figures["fill_s"] = fill_s
    table = Table(title=f"history explorer: {figures['samples']:,} samples, {buckets} buckets")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key in ("first_draw_ms_cold", "first_draw_ms_p50", "first_draw_ms_p95", "zoom_ms_p50",
                "zoom_ms_p95", "first_draw_cpu_ms_p50", "first_draw_cpu_ms_p95", "zoom_cpu_ms_p50",
                "zoom_cpu_ms_p95", "first_draw_peer_ms_p50", "first_draw_peer_cpu_ms_p50",
                "first_draw_wall_ratio_p50", "first_draw_cpu_ratio_p50", "zoom_peer_ms_p50",
                "zoom_peer_cpu_ms_p50", "zoom_wall_ratio_p50", "zoom_cpu_ratio_p50",
                "answer_kb_median", "fill_s"):  # fmt: skip
        table.add_row(key, f"{figures[key]:,.1f}")
    console.print(table)
    write_report(report, figures)
