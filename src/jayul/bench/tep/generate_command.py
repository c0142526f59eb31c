"""`jayul bench tep-generate`: a fresh TEP data set from the process twin, Braatz layout."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from jayul.bench.tep.generate import Layout, PlantTrippedError, RunSpec, generate, runs


def bench_tep_generate(
    seed: Annotated[
        int, typer.Option(help="The set's seed: every run's noise seed counts from it.")
    ],
    out: Annotated[Path, typer.Option(help="The folder to write d00.dat ... d21_te.dat into.")],
    workers: Annotated[int, typer.Option(min=1, max=2, help="Runs simulated at once.")] = 2,
) -> None:
    """Simulate 44 TEP runs (normal and 21 faults, training and test) with the process twin."""
    console = Console()
    layout = Layout()
    total = sum(s.hours for s in runs(seed, layout))
    start = time.perf_counter()
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} simulated h"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(f"TEP runs, seed {seed}", total=total)

        def done(spec: RunSpec) -> None:
            progress.update(task, advance=spec.hours, description=f"wrote {spec.file}")

        try:
            manifest = generate(out, seed, layout, workers=workers, done=done)
        except (PlantTrippedError, RuntimeError, OSError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
    minutes = (time.perf_counter() - start) / 60
    console.print(
        f"{out}: 44 files, {manifest['simulated_hours']:.0f} simulated hours "
        f"in {minutes:.1f} min with {workers} worker(s); how it was made: {out / 'layout.json'}"
    )
