"""`jayul bench tep-generate`: a fresh TEP data set from the process twin, Braatz layout."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from jayul.bench.tep.data import FAULTS
from jayul.bench.tep.generate import Layout, RunSpec, generate, pending


def _faults(text: str) -> tuple[int, ...]:
    try:
        faults = tuple(sorted({int(j) for j in text.split(",") if j.strip()}))
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r}: not a comma-separated list of numbers") from exc
    if not faults or not set(faults) <= set(FAULTS):
        raise typer.BadParameter(f"{text!r}: faults are 1-21")
    return faults


def bench_tep_generate(
    seed: Annotated[int, typer.Option(help="Each run's noise seed counts from it.")],
    out: Annotated[Path, typer.Option(help="The folder to write d00.dat ... d21_te.dat into.")],
    faults: Annotated[str, typer.Option(help="Only these faults, e.g. 1,2,6.")] = "1-21",
    workers: Annotated[int, typer.Option(min=1, max=2, help="Runs simulated at once.")] = 2,
) -> None:
    """Simulate the TEP runs (normal and 21 faults, training and test) with the process twin;
    an interrupted set resumes, files already complete are kept."""
    console = Console()
    layout = Layout() if faults == "1-21" else Layout(faults=_faults(faults))
    todo, _ = pending(out, seed, layout)  # files an earlier call completed are kept
    start = time.perf_counter()
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} simulated h"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        total = sum(s.hours for s in todo)
        task = progress.add_task(f"TEP runs, seed {seed}", total=total)

        def done(spec: RunSpec, trip: str | None) -> None:
            if trip is not None:
                progress.console.print(f"[yellow]left out fault {spec.fault}:[/yellow] {trip}")
            progress.update(task, advance=spec.hours, description=f"ended {spec.file}")

        try:
            manifest = generate(out, seed, layout, workers=workers, done=done)
        except (RuntimeError, OSError, ValueError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
    minutes = (time.perf_counter() - start) / 60
    made, hours = manifest["layout"]["faults"], manifest["hours_simulated_by_this_call"]
    console.print(
        f"{out}: normal and {len(made)} faults, {hours:.0f} h simulated "
        f"in {minutes:.1f} min with {workers} worker(s); left out: "
        f"{', '.join(manifest['left_out']) or 'none'}; how it was made: {out / 'layout.json'}"
    )
