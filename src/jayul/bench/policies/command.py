"""`jayul bench policies`: the maintenance policies side by side on the twin."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from jayul.plant import PlantFileError, demo_plant_path, load_plant
from jayul.shell.errors import fail
from jayul.shell.report import write_report

console = Console()


def bench_policies(
    days: float = typer.Option(365.0, min=1, help="Simulated days per run."),
    seeds: int = typer.Option(5, min=1, help="Comparison seeds (0..N-1)."),
    tune_seeds: int = typer.Option(2, min=1, help="Tuning seeds (1000..), never compared on."),
    tune_days: float | None = typer.Option(None, help="Days per tuning run (default: --days)."),
    signal_period: float = typer.Option(600.0, help="Signal period (s) for monitored policies."),
    plant_file: Path | None = typer.Option(None, "--plant", help="Plant file (default: demo)."),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
    save_tuned: Path | None = typer.Option(None, help="Write the tuned settings to this file."),
    predictive: bool = typer.Option(
        True, "--predictive/--no-predictive", help="Include jayul's predictive planner."
    ),
    trajectories: Path | None = typer.Option(
        None,
        help="C-MAPSS folder: the pumps' bearing wear replays held-out recorded engines "
        "(the RUL models learn from the other half).",
    ),
    jobs: int = typer.Option(
        1,
        min=1,
        help="Comparison runs at once: Ray tasks when Ray is installed (RAY_ADDRESS: a cluster), "
        "else worker processes. The figures are the same as with 1 when "
        "the predictive planner has a deterministic budget (planning_work in the tuned "
        "settings); with its wall-clock limit they depend on the load either way.",
    ),
) -> None:
    """Tune the baselines, then compare every policy over the same seeds and orders."""
    from jayul.bench.cmapss.data import CmapssDataError
    from jayul.bench.policies.harness import run_benchmark
    from jayul.bench.policies.trajectory import cmapss_setup

    try:
        plant = load_plant(plant_file or demo_plant_path())
    except PlantFileError as exc:
        fail(str(exc))
    setup = None
    if trajectories is not None:
        try:
            setup = cmapss_setup(plant, trajectories)
        except CmapssDataError as exc:
            fail(str(exc))
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("policies", total=None)

        def told(what: str) -> None:
            bar.update(task, description=what, advance=1)
            if not console.is_terminal:  # a log (nohup, CI): each step on its own line
                console.print(f"{datetime.now(UTC):%H:%M:%S} {what}", highlight=False)

        figures = run_benchmark(
            plant,
            days=days,
            seeds=seeds,
            tune_seeds=tune_seeds,
            tune_days=tune_days,
            signal_period_s=signal_period,
            progress=told,
            predictive=predictive,
            trajectories=setup,
            jobs=jobs,
        )
    _print(figures)
    write_report(report, figures)
    if save_tuned is not None:
        save_tuned.write_text(json.dumps(figures["tuned"], indent=2) + "\n")


def _print(figures: dict[str, Any]) -> None:
    table = Table(title=f"{figures['days']:g} days x {figures['seeds']} seeds, {figures['plant']}")
    for col in ("policy", "total cost", "failures", "prevented", "downtime h", "OEE", "on time"):
        table.add_column(col, justify="right")
    for name, p in figures["policies"].items():
        table.add_row(
            name,
            f"{p['total_cost']['mean']:,.0f} ± {p['total_cost']['std']:,.0f}",
            f"{p['failures']['mean']:.1f}",
            f"{p['failures_prevented']['mean']:.0%}",
            f"{p['downtime_h']['mean']:.0f}",
            f"{p['oee']['mean']:.1%}",
            f"{p['on_time_rate']['mean']:.1%}",
        )
    console.print(table)
    console.print(f"tuned: {json.dumps(figures['tuned'])}")
