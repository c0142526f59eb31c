"""`jayul bench rul-twin`: fleet RUL models on twin histories, live monitor cost, and the
trajectory-driven twin on C-MAPSS engines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jayul.plant.load import PlantFileError, load_demo_plant, load_plant
from jayul.shell.report import write_report


def _held_out_table(title: str, held_out: dict[str, dict[str, float]]) -> Table:
    table = Table(title=title)
    columns = (
        ("histories", "histories", "{:.0f}"),
        ("coverage_80_all_rows", "80% cov. (all rows)", "{:.2f}"),
        ("rmse_p50_within_cap_h", "RMSE p50 <= cap (h)", "{:.0f}"),
        ("coverage_80_at_100h", "80% cov. at 100 h", "{:.2f}"),
        ("mean_p50_at_100h", "mean p50 at 100 h", "{:.0f}"),
        ("mean_width_80_at_100h", "width at 100 h", "{:.0f}"),
    )
    table.add_column("type/mode")
    for _, label, _ in columns:
        table.add_column(label, justify="right")
    for pair, f in held_out.items():
        cells = [fmt.format(f[key]) if key in f else "-" for key, _, fmt in columns]
        table.add_row(pair, *cells)
    return table


def bench_rul_twin(
    plant_file: Path | None = typer.Option(None, "--plant", help="Plant file (default: demo)."),
    days: float = typer.Option(365.0, "--days", min=1, help="Days per twin run."),
    seeds: int = typer.Option(2, "--seeds", min=1, help="Training twin runs (seeds 1001..)."),
    eval_seeds: int = typer.Option(2, "--eval-seeds", min=1, help="Held-out runs (2001..)."),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Model cache (default ~/.cache/jayul/rul; '' for none)."
    ),
    overhead_days: float = typer.Option(30.0, "--overhead-days", min=1),
    trajectories: Path | None = typer.Option(
        None, "--trajectories", help="C-MAPSS folder: also run the trajectory-driven twin."
    ),
    cycle_h: float = typer.Option(8.0, "--cycle-h", min=0.1, help="Hours per replayed cycle."),
    report: Path | None = typer.Option(None, "--report", help="Write the figures as JSON."),
) -> None:
    """Train (or load from the cache) one RUL model per machine type and failure mode on
    reactive twin runs, judge them on held-out seeds, and time the live monitor per tick."""
    from jayul.bench.cmapss.data import CmapssDataError
    from jayul.bench.rul_twin.harness import quick_settings, run_benchmark, run_trajectory_benchmark

    console = Console()
    try:
        plant = load_plant(plant_file) if plant_file else load_demo_plant()
    except PlantFileError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    settings = quick_settings(days, [1001 + i for i in range(seeds)])
    held_seeds = [2001 + i for i in range(eval_seeds)]
    figures: dict[str, Any] = {}
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[what]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("RUL models", total=1.0, what="")

        def progress(done: float, total: float, what: str) -> None:
            bar.update(task, completed=done, total=total, what=what)

        figures["fleet"] = run_benchmark(
            plant, settings, held_seeds, cache_dir, overhead_days, progress=progress
        )
        if trajectories is not None:
            bar.update(task, description="trajectory twin", completed=0)
            try:
                figures["trajectory"] = run_trajectory_benchmark(
                    plant, trajectories, settings, held_seeds, cache_dir, cycle_h=cycle_h,
                    policy_days=days, progress=progress,
                )  # fmt: skip
            except (CmapssDataError, ValueError) as error:
                console.print(f"[red]error:[/red] {error}")
                raise typer.Exit(2) from error
    fleet = figures["fleet"]
    console.print(
        f"models: {'from cache' if fleet['from_cache'] else 'trained'} in "
        f"{fleet['train_seconds_total']:.1f} s ({fleet['cache_file']})"
    )
    console.print(_held_out_table(f"held-out seeds {held_seeds}", fleet["held_out"]))
    m = fleet["monitor"]
    console.print(
        f"autopilot tick: {m['ms_per_tick_without_rul']:.2f} ms without, "
        f"{m['ms_per_tick_with_rul']:.2f} ms with the RUL monitor"
    )
    if "trajectory" in figures:
        t = figures["trajectory"]
        console.print(_held_out_table("trajectory twin, replayed engines", t["held_out"]))
        compared = t["policies_on_replayed_engines"]
        console.print(f"RUL policy: p = {compared['rul_p']:g} (tuned on its own seed)")
        for name in ("reactive", "condition", "rul"):
            p = compared[name]
            console.print(
                f"{name}: total cost {p['total_cost']:.0f}, failures {p['failures']:.0f} "
                f"({p['failures_by_mode']}), maintenances {p['maintenances']:.0f}"
            )
    write_report(report, figures)
