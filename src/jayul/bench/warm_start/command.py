"""`jayul bench warm-start`: seconds from `jayul run`'s start to its first live tick over a plant
with `--days` of stored history, warmed over it and cold."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from rich.console import Console

from jayul.plant import PlantFileError, demo_plant_path, load_plant
from jayul.shell.errors import fail
from jayul.shell.report import write_report

console = Console()


def bench_warm_start(
    plant_file: Path | None = typer.Option(
        None, "--plant", help="The plant whose history is stored (default: the demo plant)."
    ),
    days: int = typer.Option(60, min=1, help="Days of history stored before the run."),
    work: Path | None = typer.Option(None, help="Directory for the files (default: a temp one)."),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
) -> None:
    """Store history, start `jayul run` warmed over it and cold; seconds to the first tick."""
    from jayul.bench.warm_start.harness import run

    source = plant_file or demo_plant_path()
    try:
        load_plant(source)
    except PlantFileError as exc:
        fail(str(exc))
    with tempfile.TemporaryDirectory(dir=work) as tmp, console.status("storing history, running"):
        try:
            figures = run(source, days, Path(tmp))
        except RuntimeError as exc:
            fail(str(exc))
    for name in ("warm", "cold"):
        f = figures[name]
        console.print(
            f"{name} (--warm-days {f['warm_days']:g}): first live tick {f['to_first_tick_s']} s "
            f"after start" + (f", warm-up {f['warm_up_s']} s" if f["warm_up_s"] else ""),
            highlight=False,
        )
    console.print(
        f"{figures['plant']}: {figures['machines']} machines, {figures['samples_stored']:,} "
        f"samples over {days} days; the warm-up adds {figures['warm_up_cost_s']} s",
        highlight=False,
    )
    write_report(report, figures)
