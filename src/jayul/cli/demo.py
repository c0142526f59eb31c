"""`jayul demo`: the demo plant under the autopilot, with a KPI table at the end."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jayul.autopilot import Autopilot
from jayul.autopilot.setup import assemble
from jayul.autopilot.warm import wear_in
from jayul.cli.db_option import DB_ENV, duckdb_file, replace_scratch
from jayul.connect.notify import load_channels
from jayul.decide.named import POLICY_NAMES, make_policy
from jayul.gate import AutonomyLevel, Gate, OutcomeStatus
from jayul.gate.approvals import OPEN
from jayul.gate.context import GateDecision
from jayul.govern.db import DEFAULT_DB
from jayul.historian.open import open_historian
from jayul.plant import PlantFileError, demo_plant_path, load_plant
from jayul.plant.model import NotModelledError, Plant
from jayul.shell.errors import fail
from jayul.shell.report import write_report
from jayul.twin import Twin

console = Console()


def demo(
    days: float | None = typer.Option(
        None, min=0.05, help="Simulated days to run (default 30; 2 for a process plant)."
    ),
    policy: str = typer.Option(
        "predictive", help=f"Maintenance policy: {', '.join(POLICY_NAMES)}."
    ),
    seed: int = typer.Option(0, help="Random seed of the twin (same seed, same run)."),
    db: Path = typer.Option(
        DEFAULT_DB,
        "--db",
        envvar=DB_ENV,
        parser=duckdb_file,
        help="The plant database, replaced each run, but only if a simulated run made it.",
    ),
    plant_file: Path | None = typer.Option(None, "--plant", help="Plant file (default: demo)."),
    report: Path | None = typer.Option(None, help="Write the KPIs as JSON to this file."),
    autonomy: str = typer.Option(
        "L3",
        help="Autonomy level plant-wide: L0 monitor, L1 advise, L2 approve each action, "
        "L3 act within the envelope and escalate exceptions, L4 act alone; 'off' bypasses "
        "the gate and the verifier (a benchmark of the bare policy).",
    ),
    no_ui: bool = typer.Option(
        False, "--no-ui", help="Run headless for --days and print the KPIs (no console)."
    ),
    port: int = typer.Option(8080, min=1, max=65535, help="Console port (with the UI)."),
    speed: float = typer.Option(
        600.0, min=0.001, help="Plant seconds per wall-clock second (with the UI)."
    ),
    notify: Path | None = typer.Option(
        None, help="Channels file (webhooks, e-mail, command hooks) for alarm notifications."
    ),
    search_runs: int = typer.Option(
        24, min=1, help="Process plant: setpoint candidates tried on forks of the process twin."
    ),
    fault_model: str | None = typer.Option(
        None,
        "--fault-model",
        help="Process plant: the fault classifier whose known fault each alert names, as "
        "NAME or NAME@VERSION of a deployed model in --model-db's registry (`jayul quality "
        "train faults`, then `jayul models promote`), or a model file.",
    ),
    disturbance: str | None = typer.Option(
        None,
        "--disturbance",
        help="Process plant: switch a known disturbance on during the run, as IDV@HOUR "
        "(e.g. 6@24: the Tennessee Eastman A feed loss at hour 24), to see the loop meet a "
        "fault.",
    ),
    model_db: Path = typer.Option(
        DEFAULT_DB,
        "--model-db",
        help="Process plant: the plant database whose model registry --fault-model NAME is "
        "loaded from (not --db, which the demo replaces).",
    ),
    warm: bool = typer.Option(
        True,
        "--warm/--cold",
        help="Warm start: the first machine of each type on each line starts part-worn, and "
        "at L3/L4 every line but the first asks a person (L2), so the whole loop (alert, "
        "proposal verified on the twin, gate decision, request for approval) shows within "
        "minutes; --cold starts every machine new at one level.",
    ),
) -> None:
    """Run the demo plant under the autopilot.

    By default the console serves the plant live (paced by --speed, after an unpaced warm-up
    that runs until an explained alert and a request for approval are both there, at most 400
    plant hours; 96 with --cold) until Ctrl-C; with --no-ui it simulates --days as fast as it
    can and prints the KPIs."""
    try:
        plant = load_plant(plant_file or demo_plant_path())
        if plant.process is None:
            make_policy(policy, plant)
        level = None if autonomy.lower() == "off" else AutonomyLevel[autonomy.upper()]
    except KeyError:
        fail(f"--autonomy {autonomy!r}: use L0, L1, L2, L3, L4 or off")
    except (PlantFileError, ValueError) as exc:
        fail(str(exc))
    replace_scratch(db, "demo")
    if plant.process is not None:  # a continuous process: the process twin, headless
        from jayul.cli.process_demo import process_demo

        process_demo(plant, (days or 2.0) * 24, seed, db, level, search_runs, report,
                     (fault_model, model_db), disturbance)  # fmt: skip
        return
    days = days or 30.0
    if notify is not None:
        try:
            load_channels(notify.read_text(), str(notify))
        except (OSError, ValueError) as exc:
            fail(f"--notify: {exc}")
    try:
        twin = Twin(plant, seed=seed)
    except NotModelledError as exc:  # a plant file made for monitoring only
        fail(f"{plant_file or demo_plant_path()}: {exc}")
    worn = wear_in(twin) if warm else {}
    started = time.perf_counter()
    with open_historian(str(db)) as historian:
        with Progress(console=console, transient=True) as training:
            task_id = training.add_task("RUL models (trained once, then cached)", total=None)

            def trained(done: float, total: float, what: str) -> None:
                training.update(task_id, completed=done, total=total, description=what)

            assembly = assemble(plant, twin, policy, historian, str(db), level, progress=trained)
        pilot = assembly.pilot
        if worn and assembly.gate is not None and level is not None:
            _warm_levels(assembly.gate, plant, level, twin.time_ns())
        if worn:
            what = ", ".join(f"{m} {mode} {h:.0%}" for m, (mode, h) in worn.items())
            console.print(f"warm start: part-worn {what} (health index; 100 % = failure)")
        if not no_ui:
            from jayul.cli.demo_ui import run_console  # the web stack only when serving

            # unpaced until an alert and a request for approval are both there (or these
            # hours): the detectors commission on 96 hours of production, which a part-time
            # machine reaches after about 250 plant hours
            warmup_h = 400.0 if worn else 96.0
            run_console(
                plant,
                pilot,
                historian,
                port,
                speed,
                db,
                gate=assembly.gate,
                warmup_h=warmup_h,
                warm_until_alert=True,
                notify=notify,
            )
            return
        with Progress(
            TextColumn("[bold]simulating[/] {task.description}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f} h"),
            TimeElapsedColumn(),
            console=console,
            transient=not console.is_terminal,
        ) as bar:
            task = bar.add_task(f"{plant.name} under {policy}", total=days * 24)
            kpis = pilot.run(days * 24, progress=lambda h: bar.advance(task, h))
        if assembly.gate is not None:
            assembly.gate.audit.flush()  # the trail is complete on disk before we report
    elapsed = time.perf_counter() - started
    figures = {
        "policy": policy,
        "days": days,
        "seed": seed,
        "oee": kpis.oee,
        "availability": kpis.availability,
        "performance": kpis.performance,
        "quality": kpis.quality,
        "throughput": kpis.throughput,
        "on_time_rate": kpis.on_time_rate,
        "failures": kpis.failures,
        "downtime_h": kpis.downtime_h,
        "maintenance_cost": kpis.maintenance_cost,
        "failure_cost": kpis.failure_cost,
        "tardiness_cost": kpis.tardiness_cost,
        "total_cost": kpis.total_cost,
        "maintenances": kpis.maintenances,
        "orders_done": kpis.orders_done,
        "alerts": pilot.counters.alerts,
        "actions_executed": pilot.counters.actions_executed,
        "samples": pilot.counters.samples,
        "wall_s": elapsed,
        "db": str(db),
        "autonomy": autonomy.upper(),
        "warm_start": {m: {"mode": mode, "health": h} for m, (mode, h) in worn.items()},
    }
    if assembly.gate is not None:
        figures.update(assembly.gate.counters())
    else:
        figures.update(actions_refused=0, escalations=0, approvals_pending=0)
    _print(figures, pilot)
    if assembly.gate is not None:
        _print_decisions(assembly.gate)
    _print_footer(figures)
    write_report(report, figures)


def _warm_levels(gate: Gate, plant: Plant, level: AutonomyLevel, now: int) -> None:
    """At L3 or L4, the lines after the first ask a person for each action (L2), so a warm
    start shows the approval queue as well as actions taken alone."""
    if level < AutonomyLevel.L3:
        return
    for line in plant.lines[1:]:
        reason = "jayul demo warm start: this line asks a person for each action"
        gate.autonomy.set_level(AutonomyLevel.L2, "demo", now, reason, line)
        console.print(f"{line}: L2 (every action waits for a person's approval)")


def _print(f: dict[str, object], pilot: Autopilot) -> None:
    table = Table(
        title=f"{f['days']:g} days, policy {f['policy']}, autonomy {f['autonomy']}, "
        f"seed {f['seed']}"
    )
    table.add_column("KPI")
    table.add_column("value", justify="right")
    rows = [
        ("OEE", f"{f['oee']:.1%}"),
        ("  availability", f"{f['availability']:.1%}"),
        ("  performance", f"{f['performance']:.1%}"),
        ("  quality", f"{f['quality']:.1%}"),
        ("throughput (orders/day)", f"{f['throughput']:.1f}"),
        ("on-time delivery", f"{f['on_time_rate']:.1%}"),
        ("failures", str(f["failures"])),
        ("planned maintenances", str(f["maintenances"])),
        ("downtime (h)", f"{f['downtime_h']:.0f}"),
        ("maintenance cost", f"{f['maintenance_cost']:,.0f}"),
        ("failure cost", f"{f['failure_cost']:,.0f}"),
        ("tardiness cost", f"{f['tardiness_cost']:,.0f}"),
        ("total cost", f"{f['total_cost']:,.0f}"),
        ("alerts raised", str(f["alerts"])),
        ("actions executed", str(f["actions_executed"])),
        ("actions refused", str(f["actions_refused"])),
        ("escalations to a person", str(f["escalations"])),
        ("approvals pending", str(f["approvals_pending"])),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    for alert in pilot.counters.recent_alerts[-5:]:
        console.print(f"[yellow]alert[/] {alert.machine}: {alert.reason()}")


def _print_decisions(gate: Gate) -> None:
    """The last few actions the gate decided on, with the check that decided and why, so
    the run shows the verify and gate steps and not only their counts."""
    shown = [d for d in gate.recent if _still_shown(gate, d)]
    for decision in shown[-5:]:
        action, out = decision.action, decision.outcome
        when = datetime.fromtimestamp(decision.time / 1e9, UTC).strftime("%Y-%m-%d %H:%M")
        what = action.params.get("action", action.kind.value)
        executed = out.status is OutcomeStatus.EXECUTED
        # an executed action passed every check: the verifier's reason says why it was taken
        why = decision.verdict_reason if executed and decision.verdict_reason else out.reason
        colour = "green" if executed else "magenta"
        console.print(f"[{colour}]{out.status.value}[/] {when} {action.machine} {what}: {why}")
    expired = len(gate.approvals.requests(("expired",)))
    if expired:
        console.print(
            f"{expired} request(s) for approval expired without a person's decision "
            "(not executed); `jayul approvals list --all` shows them",
            highlight=False,
        )


def _still_shown(gate: Gate, decision: GateDecision) -> bool:
    """False for a request for approval that no longer waits (expired, or decided, before the
    run ended): a "pending" line for it would ask a person for what is gone."""
    approval = decision.outcome.approval_id
    if decision.outcome.status is not OutcomeStatus.PENDING or approval is None:
        return True
    return gate.approvals.get(approval).status in OPEN


def _print_footer(f: dict[str, object]) -> None:
    console.print(
        f"{f['samples']:,} samples in {f['db']} ({f['wall_s']:.1f} s); "
        f"read them with [bold]jayul query --db {f['db']} ...[/]"
    )
