"""`jayul bench explorer`: the history explorer on a year of one-minute data for 8 signals."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from jayul.bench.api.harness import chromium_path, eight_signal_plant, serve
from jayul.bench.explorer.browser import explorer_page_cpu
from jayul.bench.explorer.harness import fill_year, time_explorer
from jayul.shell.errors import fail
from jayul.shell.report import write_report

console = Console()


def bench_explorer(
    draws: int = typer.Option(10, min=1, max=200, help="First draws of the whole year."),
    zooms: int = typer.Option(50, min=1, max=2000, help="Zooms (1 h to 30 days) into it."),
    buckets: int = typer.Option(800, min=10, max=5000, help="Buckets per answer (the page's)."),
    browser: bool = typer.Option(
        False, "--browser", help="Also open the explorer page in headless Chromium (its CPU)."
    ),
    interactions: int = typer.Option(24, min=1, max=500, help="Zooms and pans in the browser."),
    think_s: float = typer.Option(1.0, min=0.0, help="Seconds between them (a user looking)."),
    screenshot: Path | None = typer.Option(None, help="Save the explorer page here (PNG)."),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
) -> None:
    """A year of 1-minute data for 8 signals (4.2 M samples): whole-year draw and zooms, ms of
    wall and CPU time, with a plain DuckDB query of the same buckets as the peer (ratios);
    with --browser, the page's first draw and the browser's CPU over zooms and pans."""
    if browser and chromium_path() is None:
        fail("chromium is not installed: apt-get install chromium (or run without --browser)")
    page: dict[str, object] | None = None
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
        if browser:
            page = _browser(db, plant, year, interactions, think_s, screenshot, Path(tmp))
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
    if page is not None:
        figures["browser"] = page
        console.print(
            f"page: first draw of the year {page['first_draw_page_ms']:,.0f} ms; browser CPU "
            f"{page['cpu_share_of_one_core']:.1%} of one core over {page['interactions']} zooms "
            f"and pans ({page['session_s']:.0f} s, {think_s:g} s between), "
            f"{page['cpu_share_during_interactions']:.1%} while redrawing; redraw p50 "
            f"{page['interaction_ms_p50']:,.0f} ms, p95 {page['interaction_ms_p95']:,.0f} ms"
        )
    write_report(report, figures)


def _browser(
    db: Path,
    plant: Path,
    year: dict[str, object],
    interactions: int,
    think_s: float,
    screenshot: Path | None,
    tmp: Path,
) -> dict[str, object]:
    """The page in Chromium against `jayul serve` on the same historian file (the twin at 1x
    and no warm-up, so the server adds little beside the explorer's answers)."""
    log = tmp / "serve.log"
    console.print(f"browser: the explorer page, {interactions} zooms and pans")
    try:
        with serve(db, plant, speed=1.0, warmup_h=0.0, log=log) as server:
            return explorer_page_cpu(
                server.url, "admin", server.admin_password, "pump1", year,
                interactions=interactions, think_s=think_s, screenshot=screenshot,
            )  # fmt: skip
    except RuntimeError as exc:
        tail = log.read_text()[-2000:] if log.exists() else ""
        fail(f"{exc}\n{tail}")
