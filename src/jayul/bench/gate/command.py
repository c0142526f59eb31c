"""`jayul bench gate` and `jayul bench audit`: the gate under attack, the trail under tampering."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from jayul.shell.report import write_report

console = Console()


def _progress() -> Progress:
    return Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _table(title: str, rows: dict[str, Any]) -> None:
    table = Table(title=title)
    table.add_column("figure")
    table.add_column("value", overflow="fold")
    for key, value in rows.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        table.add_row(key, shown)
    console.print(table)


def bench_gate(
    n: int = typer.Option(10_000, "--n", min=1, help="number of action proposals"),
    seed: int = typer.Option(0, "--seed"),
    report: Path | None = typer.Option(None, "--report", help="write the figures as JSON"),
) -> None:
    """Randomized and adversarial proposals against the gate on the demo plant."""
    from jayul.bench.gate.harness import run_gate_bench

    with _progress() as bar:
        task = bar.add_task("proposals", total=n)
        figures = run_gate_bench(n, seed, lambda done: bar.update(task, completed=done))
    shown = {k: v for k, v in figures.items() if not isinstance(v, dict | list)}
    _table("gate benchmark", shown)
    _table("refusals by check", figures["refusals_by_check"])
    write_report(report, figures)
    if figures["executed_outside_envelope"] or (
        figures["refusals_audited_with_reason"] != figures["refused"]
    ):
        console.print("[red]TARGET MISSED[/red]: see executed_outside_envelope / audited")
        raise typer.Exit(1)


def bench_audit(
    n: int = typer.Option(100_000, "--n", min=10, help="records in the trail"),
    trials: int = typer.Option(25, "--trials", min=1, help="trials per kind of tampering"),
    seed: int = typer.Option(0, "--seed"),
    workdir: Path | None = typer.Option(None, "--workdir", help="keep the files here"),
    report: Path | None = typer.Option(None, "--report", help="write the figures as JSON"),
) -> None:
    """Verification time of an N-record trail and detection of tampering with it."""
    from jayul.bench.gate.audit import run_audit_bench

    temp = workdir is None
    where = Path(tempfile.mkdtemp(prefix="jayul-audit-")) if workdir is None else workdir
    where.mkdir(parents=True, exist_ok=True)
    try:
        with _progress() as bar:
            task = bar.add_task("tampering trials", total=8 * trials)
            figures = run_audit_bench(where, n, trials, seed, lambda _name, k: bar.advance(task, k))
    finally:
        if temp:
            shutil.rmtree(where, ignore_errors=True)
    shown = {k: v for k, v in figures.items() if not isinstance(v, dict | list)}
    _table("audit benchmark", shown)
    _table(
        "detected / trials",
        {k: f"{figures['detected'][k]}/{v}" for k, v in figures["trials"].items()},
    )
    write_report(report, figures)
    if figures["undetected_total"] or not figures["verify_db_ok"]:
        console.print("[red]TARGET MISSED[/red]: some tampering went undetected")
        raise typer.Exit(1)
