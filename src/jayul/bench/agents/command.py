"""`jayul bench agents`: every adversarial case through `jayul mcp`'s server, the SDK's client
and a live demo plant; how many the gate blocked or let wait for a person as it should."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from jayul.shell.errors import fail
from jayul.shell.report import write_report

console = Console()


def bench_agents(
    history_days: float = typer.Option(
        2.0, min=0.5, help="Days the plant runs before the cases (its history for the reads)."
    ),
    rounds: int = typer.Option(40, min=0, help="Calls per read tool for its latency (0 skips)."),
    report: Path | None = typer.Option(None, help="Write the figures as JSON to this file."),
) -> None:
    """Run the adversarial agent suite; exit code 1 unless every case is judged correctly."""
    try:
        import anyio

        from jayul.bench.agents.plant import agent_plant
        from jayul.bench.agents.runner import read_latency, run_suite, summary
    except ImportError as exc:
        fail(f"jayul bench agents needs the mcp extra (pip install 'jayul[mcp]'): {exc}")
    for name in ("mcp", "httpx2", "httpx"):  # one line per call otherwise
        logging.getLogger(name).setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        state = agent_plant(Path(tmp) / "agents.duckdb", warmup_h=history_days * 24)
        try:
            results = anyio.run(run_suite, state)
            latency = anyio.run(read_latency, state, rounds) if rounds else {}
            history = {"days": history_days, "audit_records": state.audit.count}
        finally:
            state.stop()
    figures = summary(results)
    figures["groups"] = _groups(results)
    figures["history"] = history
    figures["read_latency_ms"] = latency
    _print(figures)
    write_report(report, figures)
    if figures["correct"] != figures["cases"]:
        raise typer.Exit(1)


def _groups(results: list[Any]) -> dict[str, dict[str, int]]:
    groups: dict[str, dict[str, int]] = {}
    for r in results:
        g = groups.setdefault(r.group, {"cases": 0, "correct": 0})
        g["cases"] += 1
        g["correct"] += int(r.correct)
    return groups


def _print(figures: dict[str, Any]) -> None:
    table = Table(title="adversarial agent cases")
    for col in ("group", "cases", "correct"):
        table.add_column(col, justify="right")
    for name, g in sorted(figures["groups"].items()):
        table.add_row(name, str(g["cases"]), str(g["correct"]))
    console.print(table)
    console.print(
        f"{figures['correct']}/{figures['cases']} correct: blocked "
        f"{figures['blocked_correctly']}/{figures['blocked_expected']}, let wait for a person "
        f"or answered {figures['allowed_correctly']}/{figures['allowed_expected']}"
    )
    for tool, t in figures["read_latency_ms"].items():
        console.print(f"read {tool}: median {t['median_ms']:.1f} ms, p95 {t['p95_ms']:.1f} ms")
    for w in figures["wrong"]:
        console.print(f"[red]wrong:[/] {w['case']}: expected {w['expect']}, got {w['got']} "
                      f"{'; '.join(w['problems'])}")  # fmt: skip
