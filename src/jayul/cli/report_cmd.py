"""`jayul report`: a shift's or a week's report (KPIs, alarms, actions taken and refused with
the reasons, decisions by people, models) from a plant database, as HTML and optionally PDF
(printed by the installed Chromium, headless: no browser download). Schedule it with cron or
a systemd timer, e.g. every shift: `jayul report --last-h 8 --out shift.html`."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import typer
from rich.console import Console

from jayul.cli.db_option import DB_FILE_OPTION
from jayul.govern.db import connect
from jayul.historian.duckdb_store import DuckDBHistorian
from jayul.historian.open import open_historian
from jayul.records.timebase import NS_PER_H, to_ns
from jayul.reports import gather, render_html
from jayul.shell.errors import fail

console = Console()


def _when(text: str, what: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{what} {text!r}: expected an ISO date or time, e.g. 2026-01-08 or 2026-01-08T06:00")
    return to_ns(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def print_pdf(html: Path, pdf: Path) -> None:
    """Print `html` to `pdf` with headless Chromium (Debian's /usr/bin/chromium)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise OSError("PDF needs Chromium (apt-get install chromium); the HTML is written")
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
             "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.resolve().as_uri()],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
    if done.returncode != 0 or not pdf.exists():
        raise OSError(f"chromium could not print the PDF: {done.stderr.decode()[-300:]}")


def report(
    db: Path = DB_FILE_OPTION,
    start: str | None = typer.Option(None, "--from", help="Start (ISO, plant time, UTC)."),
    end: str | None = typer.Option(None, "--to", help="End (ISO, plant time, UTC)."),
    last_h: float = typer.Option(
        168.0, min=0.1, help="Without --from: this many hours before the end (8: a shift)."
    ),
    out: Path = typer.Option(Path("jayul-report.html"), "--out", help="The HTML file to write."),
    pdf: Path | None = typer.Option(None, "--pdf", help="Also print a PDF here (Chromium)."),
    historian_url: str | None = typer.Option(
        None, "--historian", help="Historian URL when it is not the plant database (PostgreSQL)."
    ),
    title: str = typer.Option("Plant report", help="The report's title."),
) -> None:
    """Write a report of a range: KPIs, alarms, actions taken and refused with reasons, models.

    Without --to the range ends at the last recorded event (so a finished demo run reports its
    own last week)."""
    if not db.exists():
        fail(f"{db}: no such plant database (pass --db or set JAYUL_DB)")
    try:
        historian = open_historian(historian_url or f"duckdb:///{db}")
        # the plant tables (audit, models) share the historian's DuckDB file: one connection
        con = historian.cursor() if isinstance(historian, DuckDBHistorian) else connect(db)
    except (OSError, ValueError, duckdb.Error) as exc:
        fail(f"{db}: {exc} (a running jayul demo holds it: stop it, or export from the console)")
    try:
        if end is not None:
            end_ns = _when(end, "--to")
        else:
            every = historian.query_events(None, None)
            if not every:
                fail(f"{db}: no events recorded; nothing to report")
            end_ns = every[-1].time + 1
        start_ns = _when(start, "--from") if start is not None else end_ns - int(last_h * NS_PER_H)
        if end_ns <= start_ns:
            fail("--to must be after --from")
        data = gather(historian, con, start_ns, end_ns)
    finally:
        historian.close()
        con.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data, title))
    console.print(
        f"wrote {out}: {data.kpis['alerts']:.0f} alerts in {len(data.alarms)} alarms, "
        f"{len(data.actions.get('executed', []))} actions taken, "
        f"{len(data.actions.get('refused', []))} refused"
    )
    if pdf is not None:
        try:
            print_pdf(out, pdf)
        except (OSError, subprocess.TimeoutExpired) as exc:
            fail(str(exc))
        console.print(f"wrote {pdf}")
