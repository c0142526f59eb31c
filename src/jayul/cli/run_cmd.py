"""`jayul run`: the autopilot against the plant the file's `connect:` section binds (sources,
durable buffer, historian, then health, RUL, policy, verifier, gate and action sinks), with the
operator console on `--port`."""

from __future__ import annotations

import signal
from pathlib import Path

import typer
from rich.console import Console

from jayul.cli.fleet_site import site_edge, site_kpis, stored_hook
from jayul.cli.run_pilot import action_sinks, alert_timing, check_brokers, plant_pilot, report
from jayul.cli.twin_serve import load_or_fail
from jayul.health.defaults import named_detector
from jayul.plant.monitoring import Monitoring
from jayul.records import utc_now_ns
from jayul.shell.errors import fail

console = Console()


def run(
    plant_file: Path = typer.Option(..., "--plant", help="Plant file with a connect: section."),
    historian: str | None = typer.Option(
        None,
        "--db",
        "--historian",
        envvar="JAYUL_DB",
        help="Historian URL (default: the plant file's connect.historian).",
    ),
    buffer: Path | None = typer.Option(
        None, help="Durable buffer directory (default: connect.buffer)."
    ),
    policy: str = typer.Option(
        "condition", help="Maintenance policy: reactive, preventive, condition, predictive."
    ),
    fit_h: float = typer.Option(
        96.0, min=0.0001, help="Hours of data the health monitor learns from."
    ),
    warm_days: float = typer.Option(
        60.0,
        min=0.0,
        help="Days of stored history (imported, or from an earlier run) the health monitor "
        "runs over at start, so it judges from the first live sample (0: learn live only).",
    ),
    smoothing_h: float | None = typer.Option(
        None,
        min=0.0001,
        help="Hours over which the health monitor smooths its score (default: the plant "
        "file's monitoring.smoothing_h, else 2).",
    ),
    raise_h: float | None = typer.Option(
        None,
        min=0.0001,
        help="An alert is raised when the smoothed score is above the alarm level for half of "
        "this many hours (default: monitoring.raise_h, else 1).",
    ),
    clear_h: float | None = typer.Option(
        None,
        min=0.0001,
        help="An alert clears after this many hours back below 0.7 x the level (default: "
        "monitoring.clear_h, else 24).",
    ),
    detector: str = typer.Option(
        "default",
        help="The health monitor's detector: default (PCA on trailing levels), mspc, dpca or "
        "window-spread (for continuous processes, docs/benchmarks/tep.md).",
    ),
    seconds: float | None = typer.Option(None, min=0.1, help="Stop after this many seconds."),
    tick_s: float = typer.Option(1.0, min=0.05, help="Seconds between autopilot ticks."),
    ingest_only: bool = typer.Option(
        False, "--ingest-only", help="Only store what the sources send (no monitor, no policy)."
    ),
    autonomy: str = typer.Option(
        "L2",
        help="Autonomy level for actions on the real plant (L2: a person approves each; "
        "L0 monitor, L1 advise; at L3/L4 actions that no twin could verify still wait for "
        "a person, see docs/autonomy.md).",
    ),
    gate_db: Path | None = typer.Option(
        None,
        help="Plant database of the gate: approvals, audit trail, users (default: gate.duckdb "
        "in the durable buffer's directory).",
    ),
    port: int | None = typer.Option(
        None, min=1, max=65535, help="Serve the operator console and API on this port."
    ),
    host: str = typer.Option("127.0.0.1", help="Address the console listens on."),
    twin: Path | None = typer.Option(
        None,
        "--twin",
        help="A calibrated twin of this plant (`jayul twin calibrate --out`): decisions are "
        "verified on it instead of waiting for a person as not verified.",
    ),
    recalibrate_days: float = typer.Option(
        30.0, min=0.01, help="With --twin: recalibration is due after this many days."
    ),
    recalibrate_error: float = typer.Option(
        0.5,
        min=0.0,
        help="With --twin: recalibration is due when the twin's failure prediction on recent "
        "history is off by more than this (relative).",
    ),
    stop_after_silence: float | None = typer.Option(
        None,
        min=0.1,
        help="Stop (exit code 4) when no sample arrived from any source for this many seconds "
        "(default: connect.no_data.stop_after_s; unset: alert and keep waiting).",
    ),
    admin_password: str | None = typer.Option(
        None,
        envvar="JAYUL_ADMIN_PASSWORD",
        help="Password of the first console admin (default: a random one, printed once).",
    ),
    setpoint_targets: Path | None = typer.Option(
        None,
        "--setpoint-targets",
        help="A process plant: walk its setpoints to these targets (JSON, e.g. the report of "
        "`jayul demo --plant`), one largest step at a time, each through the gate.",
    ),
    fault_model: str | None = typer.Option(
        None,
        "--fault-model",
        help="A process plant: the fault classifier whose known fault each alert names, as "
        "NAME or NAME@VERSION of a deployed model in the plant database's registry (`jayul "
        "quality train faults`, then `jayul models promote`), or a model file.",
    ),
) -> None:
    """Run the autopilot against the plant the file binds: sources -> durable buffer ->
    historian, health monitor, RUL (from the plant's own history), policy, verifier, gate,
    action sinks; with --port, the operator console over the same data."""
    from jayul.connect.equipment import ConnectedPlant
    from jayul.connect.ingest import Ingest
    from jayul.decide.named import make_policy
    from jayul.fleet.tee import FleetTee
    from jayul.gate import AutonomyLevel
    from jayul.historian.open import open_historian

    bindings = load_or_fail(plant_file)
    edge = site_edge(plant_file, bindings)  # the plant file's fleet: section, if any
    if not bindings.connect.sources:
        fail(f"{plant_file}: connect.sources is empty: nothing to run against")
    try:
        make_policy(policy, bindings.plant)
        level = AutonomyLevel.parse(autonomy)
        detector_factory = named_detector(detector)
    except ValueError as exc:
        fail(str(exc))
    sinks = action_sinks(bindings)
    equipment = ConnectedPlant(bindings, sinks)
    url = historian or bindings.historian_url()  # the file the ingest pipeline writes
    try:
        store = open_historian(url)
    except (OSError, ValueError) as exc:
        fail(f"cannot open the historian {url}: {exc}")
    try:
        ingest = Ingest(
            bindings,
            historian=url,
            buffer=buffer,
            on_stored=stored_hook(None if ingest_only else equipment.on_stored, edge),
        )
    except (OSError, ValueError) as exc:
        fail(f"cannot start the ingest pipeline: {exc}")
    where = gate_db or bindings.gate_db(buffer)
    pilot, timing = None, None
    if not ingest_only:
        from jayul.calibrate.recalibration import RecalibrationPolicy

        recal = RecalibrationPolicy(every_days=recalibrate_days, max_error=recalibrate_error)
        pilot_store = store if edge is None else FleetTee(store, edge)
        timing = alert_timing(bindings.plant, smoothing_h, raise_h, clear_h)
        pilot = plant_pilot(
            bindings, equipment, policy, pilot_store, where, level, fit_h, tick_s,
            detector_factory, (twin, recal), setpoint_targets, fault_model, warm_days, timing,
        )  # fmt: skip
    if edge is not None:
        edge.kpis = site_kpis(ingest, pilot)
        edge.start()
        console.print(f"fleet: site {edge.config.site} -> {edge.config.url}", highlight=False)
        if edge.link is not None and edge.link.tls is not None:
            from jayul.fleet.cert_renewal import renew_on_sighup

            renew_on_sighup()  # renewed certificates (docs/fleet.md, rotating certificates)
    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    if port is None:  # with the console, uvicorn handles Ctrl-C and SIGTERM itself
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    from jayul.cli.run_drive import drive, serve
    from jayul.connect.input_watch import InputWatch
    from jayul.connect.source_health import check_sources

    problems = check_sources(bindings)
    if problems:
        for p in problems:
            console.print(f"[bold red]error:[/] {p}", highlight=False, soft_wrap=True)
        raise typer.Exit(3)
    ingest.start()
    equipment.start()
    check_brokers(bindings)
    settings = bindings.connect.no_data
    if stop_after_silence is not None:
        settings = settings.model_copy(update={"stop_after_s": stop_after_silence})
    watch = InputWatch(ingest, bindings, utc_now_ns(), settings)
    kinds = ", ".join(s.kind for s in bindings.connect.sources)
    console.print(
        f"running [bold]{bindings.plant.name}[/] from {kinds}; Ctrl-C stops", highlight=False
    )
    for line in start_notes(url, where, None if ingest_only else fit_h, timing):
        console.print(line, highlight=False, soft_wrap=True)
    try:
        if pilot is not None and port is not None:
            serve(
                bindings, pilot, store, where, port, host, admin_password, seconds,
                ingest, watch, tick_s,
            )  # fmt: skip
        else:
            drive(
                ingest, watch, pilot, tick_s, seconds, lambda: stopping,
                lambda prefix: report(ingest, pilot, prefix),
            )  # fmt: skip
    finally:
        equipment.stop()
        ingest.stop()
        if pilot is not None:
            pilot.flush()
            if pilot.gate is not None:
                pilot.gate.audit.flush()
        if edge is not None:  # what is not sent yet stays in the outbox for the next run
            edge.close()
        report(ingest, pilot, "stopped: ")
        store.close()


def start_notes(
    historian: str, gate_db: Path, fit_h: float | None, timing: Monitoring | None = None
) -> list[str]:
    """Where `jayul run` keeps what it records, so that `jayul query`, `jayul approvals` and
    `jayul audit verify` are pointed at it, and when the live health monitor starts judging
    (it learns each machine from its first `fit_h` hours of production, the stored history
    it ran over at start included)."""
    notes = [
        f"samples, events and alerts: {historian} (jayul query ... --db {historian})",
        f"approvals, audit trail and users: {gate_db} (jayul audit verify --db {gate_db})",
    ]
    if fit_h is not None:
        notes.append(
            f"health monitor: each machine learns its normal from its first {fit_h:g} h of "
            "production (--fit-h), stored history included (--warm-days), and raises no alert "
            "before"
        )
    if timing is not None:
        notes.append(
            f"alerts: raised after {timing.raise_h / 2:g} h above the level within "
            f"{timing.raise_h:g} h (--raise-h), score smoothed over {timing.smoothing_h:g} h "
            f"(--smoothing-h), cleared after {timing.clear_h:g} h below (--clear-h)"
        )
    return notes
