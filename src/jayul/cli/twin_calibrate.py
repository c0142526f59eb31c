"""`jayul twin calibrate`: build the twin of a plant from its own history."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from jayul.cli.db_lock import held_message, lock_holder
from jayul.historian import Historian, open_historian
from jayul.plant import PlantFileError, load_plant
from jayul.plant.model import Plant
from jayul.records.timebase import to_ns
from jayul.shell.errors import fail
from jayul.shell.report import write_report

if TYPE_CHECKING:
    from jayul.calibrate.fit import Calibration

console = Console()


def _time(text: str | None, what: str) -> int | None:
    if text is None:
        return None
    try:
        return to_ns(datetime.fromisoformat(text))
    except ValueError:
        fail(f"--{what} {text!r} is not an ISO 8601 time")


def open_history(db: str, then: str = "then run this command again.") -> Historian:
    if (
        not db.startswith(("postgresql", "postgres:"))
        and not Path(db.removeprefix("duckdb://")).exists()
    ):
        fail(f"{db}: no historian there")
    try:
        return open_historian(db)
    except Exception as exc:
        pid = lock_holder(str(exc))
        if pid is not None:
            fail(held_message(f"{db}: the historian", pid, then))
        fail(f"{db}: cannot open the historian: {exc}")


def twin_calibrate(
    plant_file: Path = typer.Option(..., "--plant", help="The plant file (its structure)."),
    db: str = typer.Option(..., "--db", help="Historian: a DuckDB file or postgresql:// URL."),
    since: str | None = typer.Option(None, help="From this UTC time (default: plant start)."),
    until: str | None = typer.Option(None, help="Until this UTC time (default: last event)."),
    out: Path = typer.Option(..., "--out", help="Write the calibrated plant file here."),
    report: Path | None = typer.Option(None, help="Write the fit and back-test as JSON."),
    holdout: float = typer.Option(
        0.25, min=0.0, max=0.9, help="Latest share of the window held out for the back-test."
    ),
    runs: int = typer.Option(10, min=2, help="Simulated futures of the held-out part."),
) -> None:
    """Fit the plant file's simulation parameters to the history, back-test, write the twin."""
    try:
        plant = load_plant(plant_file)
    except PlantFileError as exc:
        fail(str(exc))
    since_ns, until_ns = _time(since, "since"), _time(until, "until")
    if since_ns is not None and until_ns is not None and until_ns <= since_ns:
        fail("--until must be after --since")
    historian = open_history(db)
    try:
        cal, backtest = calibrate_and_write(
            plant, historian, db, since_ns, until_ns, holdout, runs, out
        )
    finally:
        historian.close()
    write_report(report, {"calibration": cal.report(), "backtest": backtest})


def calibrate_and_write(
    plant: Plant,
    historian: Historian,
    db: str,
    since_ns: int | None,
    until_ns: int | None,
    holdout: float,
    runs: int,
    out: Path,
) -> tuple[Calibration, dict[str, Any] | None]:
    """Calibrate over [since, until) (default: the plant's start to the last event), back-test
    on the held-out latest share, write the calibrated file; a clear error for bad history,
    and then nothing is written."""
    from jayul.calibrate import HistoryError, calibrate
    from jayul.calibrate.backtest import run_backtest
    from jayul.calibrate.fit import progress_steps
    from jayul.calibrate.plantfile import write_calibrated

    try:
        start_ns = since_ns if since_ns is not None else to_ns(plant.start)
        if until_ns is None:
            last = historian.query_events(start_ns, None)
            until_ns = last[-1].time + 1 if last else start_ns + 1
        total = progress_steps(plant) * (2 if holdout > 0 else 1) + runs
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
        ) as bar:
            task = bar.add_task("calibrating", total=total)

            def step(what: str) -> None:
                bar.update(task, advance=1, description=what)

            # the whole window first: bad history is refused before any back-test work
            cal = calibrate(plant, historian, start_ns, until_ns, progress=step)
            backtest = None
            if holdout > 0:
                _, bt = run_backtest(
                    plant, historian, start_ns, until_ns, holdout, runs, progress=step
                )
                backtest = bt.as_dict()
        write_calibrated(out, cal, backtest)
    except HistoryError as exc:
        fail(f"{db}: {exc}")
    except ValueError as exc:
        fail(str(exc))
    priors = [k for k, v in cal.parameters.items() if v.prior]
    console.print(
        f"calibrated {len(cal.parameters)} parameters from {cal.details['events']:,} events "
        f"({cal.details['hours']:,.0f} h); {len(priors)} priors; wrote {out}",
        highlight=False,
    )
    if backtest is not None:
        console.print(
            f"back-test: {backtest['verdict']} (confidence {backtest['confidence']:.2f}, "
            f"{runs} runs)",
            highlight=False,
        )
    return cal, backtest
