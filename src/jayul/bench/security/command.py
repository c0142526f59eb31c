"""`jayul bench security`: audit records under SIGKILL and forgery, writes around the gate."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import typer

from jayul.bench.gate.command import _progress, _table, console
from jayul.shell.report import write_report


def bench_security(
    kills: int = typer.Option(20, "--kills", min=1, help="SIGKILLs during gated activity"),
    forgeries: int = typer.Option(100, "--forgeries", min=1, help="trials per kind of forgery"),
    opcua: int = typer.Option(5000, "--opcua", min=0, help="writes tried over OPC UA"),
    api: int = typer.Option(4500, "--api", min=0, help="writes tried over the API"),
    cli: int = typer.Option(500, "--cli", min=0, help="writes tried on the command line"),
    seed: int = typer.Option(0, "--seed"),
    report: Path | None = typer.Option(None, "--report", help="write the figures as JSON"),
) -> None:
    """0 audit records lost across SIGKILLs, every forgery detected, 0 writes reaching a
    machine without the gate (see docs/benchmarks/security.md)."""
    from jayul.bench.security.api import run_api_cli_writes
    from jayul.bench.security.audit_crash import run_crash_bench
    from jayul.bench.security.harness import run_forgery, run_opcua_writes

    work = Path(tempfile.mkdtemp(prefix="jayul-security-"))
    figures: dict[str, Any] = {}
    try:
        with _progress() as bar:
            task = bar.add_task("SIGKILLs", total=kills)
            figures["crash"] = run_crash_bench(
                work / "crash", kills, seed, progress=lambda k: bar.update(task, completed=k)
            )
            task = bar.add_task("writes", total=opcua + api + cli)
            advance = lambda _what, k: bar.advance(task, k)  # noqa: E731
            figures["opcua"] = run_opcua_writes(opcua, seed, advance) if opcua else {}
            figures["api_cli"] = run_api_cli_writes(api, cli, seed, advance)
        figures["forgery"] = run_forgery(work, trials=forgeries, seed=seed)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    crash, forgery = figures["crash"], figures["forgery"]
    bypassed = (
        figures["opcua"].get("reached_machine_without_gate", 0)
        + figures["api_cli"]["reached_machine_without_gate"]
    )
    summary = {
        "sigkills": crash["kills"],
        "actions at the machine without an audit record": crash["actions_without_record"],
        "acknowledged outcomes lost": crash["acknowledged_outcomes_lost"],
        "acknowledged outcomes checked": crash["acknowledged_outcomes_checked"],
        "trail after the kills": crash["verify"],
        "forgeries tried": sum(forgery["trials"].values()),
        "forgeries undetected": forgery["undetected"],
        "writes tried": opcua + api + cli,
        "writes reaching a machine through the gate": figures["opcua"].get(
            "reached_machine_through_gate", 0
        )
        + figures["api_cli"]["reached_machine_through_gate"],
        "writes reaching a machine without the gate": bypassed,
        "CLI changed autonomy without credentials": figures["api_cli"]["cli_changed_autonomy"],
    }
    _table("security benchmark", summary)
    _table("forgeries detected / tried", {
        k: f"{forgery['detected'].get(k, 0)}/{v}" for k, v in forgery["trials"].items()
    })  # fmt: skip
    write_report(report, figures)
    missed = (
        crash["actions_without_record"]
        or crash["acknowledged_outcomes_lost"]
        or forgery["undetected"]
        or bypassed
        or figures["api_cli"]["cli_changed_autonomy"]
    )
    if missed:
        console.print("[red]TARGET MISSED[/red]")
        raise typer.Exit(1)
