"""`jayul bench gym`: the twin as a Gymnasium environment: decisions per second, and the
baselines acting through it."""

from __future__ import annotations

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


def bench_gym(
    steps: int = typer.Option(20_000, min=1, help="Steps timed without signals."),
    signal_steps: int = typer.Option(1_000, min=0, help="Steps timed with signals (0 skips)."),
    days: float = typer.Option(365.0, min=0, help="Days per baseline episode (0 skips them)."),
    seeds: int = typer.Option(5, min=0, help="Baseline seeds (0..N-1, as jayul bench policies)."),
    condition: bool = typer.Option(
        True, "--condition/--no-condition", help="Include condition-based (runs with signals)."
    ),
    ppo_steps: int = typer.Option(
        0, min=0, help="Train a PPO agent this many decisions first (the rl extra; 0 skips)."
    ),
    plant_file: Path | None = typer.Option(None, "--plant", help="Plant file (default: demo)."),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
) -> None:
    """Time the Gymnasium twin (1-hour ticks) and run the baselines through it."""
    try:
        from jayul.bench.gym.harness import run_benchmark
    except ImportError as exc:
        fail(f"jayul bench gym needs the gym extra (pip install 'jayul[gym]'): {exc}")
    if ppo_steps:
        try:
            import jayul.bench.gym.ppo  # noqa: F401
        except ImportError as exc:
            fail(f"--ppo-steps needs the rl extra (pip install 'jayul[rl]'): {exc}")
    try:
        plant = load_plant(plant_file or demo_plant_path())
    except PlantFileError as exc:
        fail(str(exc))
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("gym", total=None)
        figures = run_benchmark(
            plant,
            steps,
            signal_steps,
            days,
            seeds,
            condition,
            ppo_steps=ppo_steps,
            progress=lambda what: bar.update(task, description=what, advance=1),
        )
    _print(figures)
    write_report(report, figures)


def _print(figures: dict[str, Any]) -> None:
    for s in figures["speed"]:
        label = "with signals" if s["signals"] else "without signals"
        console.print(
            f"{label}: {s['steps']:,} decisions ({s['tick_h']:g} h ticks) in {s['wall_s']:.2f} s "
            f"= {s['decisions_per_s']:,.0f} decisions/s ({s['decisions_per_cpu_s']:,.0f} per CPU s)"
        )
    if "policies" not in figures:
        return
    table = Table(title=f"through the env: {figures['days']:g} days x {figures['seeds']} seeds")
    for col in ("policy", "total cost", "failures", "maintenances"):
        table.add_column(col, justify="right")
    for name, p in figures["policies"].items():
        cost = p["total_cost"]
        table.add_row(
            name,
            f"{cost['mean']:,.0f} ± {cost['std']:,.0f}",
            f"{p['failures']:.1f}",
            f"{p['maintenances']:.1f}",
        )
    console.print(table)
