"""`jayul bench jsp` (JSPLIB: jayul's job-shop model vs a plain CP-SAT peer) and `bench replan`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from jayul.shell.report import write_report


def bench_jsp(
    data: Annotated[Path, typer.Option(help="JSPLIB folder: instances.json and instances/")],
    out: Annotated[Path, typer.Option("--out", help="Folder for one <instance>.csv per instance")],
    instances: Annotated[
        str | None, typer.Option(help="Comma-separated instance names (default: all)")
    ] = None,
    time_limit: Annotated[float, typer.Option(help="Seconds per instance and model")] = 60.0,
    workers: Annotated[int, typer.Option(help="CP-SAT workers for both models")] = 2,
    peer: Annotated[bool, typer.Option(help="Also solve with the plain CP-SAT peer")] = True,
    report: Annotated[Path | None, typer.Option(help="Write the figures as JSON here")] = None,
) -> None:
    """Solve JSPLIB instances for minimum makespan; report makespan, optimum, gap and time."""
    from jayul.bench.jsp.harness import read_index, run_instance, summarise
    from jayul.bench.jsp.tabu import compile_search

    console = Console()
    try:
        entries = read_index(data)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--data") from exc
    if instances:
        wanted = [n.strip() for n in instances.split(",") if n.strip()]
        known = {e.name: e for e in entries}
        missing = [n for n in wanted if n not in known]
        if missing:
            raise typer.BadParameter(
                f"unknown instances: {', '.join(missing)}", param_hint="--instances"
            )
        entries = [known[n] for n in wanted]
    rows: list[dict[str, Any]] = []
    with console.status("compiling the tabu search (cached after the first use)"):
        compile_search()  # outside every instance's time limit
    with Progress(console=console) as progress:
        task = progress.add_task("JSPLIB", total=len(entries))
        for entry in entries:
            progress.update(task, description=f"JSPLIB {entry.name}")
            try:
                rows.append(run_instance(entry, time_limit, workers, out, with_peer=peer))
            except ValueError as exc:
                console.print(f"[red]error:[/red] {exc}")
                raise typer.Exit(2) from exc
            # Partial reports survive an interrupted hour-long run.
            write_report(report, {"summary": summarise(rows), "instances": rows})
            progress.advance(task)
    table = Table("instance", "makespan", "optimum", "gap %", "time s", "peer", "peer gap %")
    for r in rows:
        table.add_row(
            r["instance"],
            str(r["makespan"]),
            str(r["optimum"]),
            "-" if r["gap_pct"] is None else f"{r['gap_pct']:.2f}",
            f"{r['time_s']:.1f}",
            str(r.get("peer_makespan", "-")),
            "-" if r.get("peer_gap_pct") is None else f"{r['peer_gap_pct']:.2f}",
        )
    console.print(table)
    summary = summarise(rows)
    console.print(summary)
    write_report(report, {"summary": summary, "instances": rows})


def bench_replan(
    machines: Annotated[int, typer.Option(help="Machines in each random problem")] = 20,
    operations: Annotated[int, typer.Option(help="Open operations in each random problem")] = 200,
    time_limit: Annotated[float, typer.Option(help="Wall-clock seconds per (re-)plan")] = 2.0,
    workers: Annotated[int, typer.Option(help="CP-SAT workers")] = 2,
    seeds: Annotated[int, typer.Option(help="How many random problems")] = 3,
    report: Annotated[Path | None, typer.Option(help="Write the figures as JSON here")] = None,
) -> None:
    """Time the planner's re-plan after a machine failure on random problems (target <= 2 s)."""
    from jayul.bench.jsp.harness import replan_benchmark

    if machines < 1 or operations < 1 or seeds < 1 or time_limit <= 0:
        raise typer.BadParameter("machines, operations and seeds must be >= 1, time limit > 0")
    console = Console()
    with console.status("planning and re-planning"):
        figures = replan_benchmark(machines, operations, time_limit, workers, seeds)
    table = Table("seed", "first s", "re-plan s", "status", "feasible", "cost", "dispatch cost")
    for r in figures["runs"]:
        table.add_row(
            str(r["seed"]),
            f"{r['first_plan_s']:.2f}",
            f"{r['replan_s']:.2f}",
            r["replan_status"],
            str(r["replan_feasible"]),
            f"{r['replan_cost']:.0f}",
            f"{r['dispatch_cost']:.0f}",
        )
    console.print(table)
    console.print(figures["summary"])
    write_report(report, figures)
