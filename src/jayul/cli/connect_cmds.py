"""`jayul twin serve` (the twin as an OPC UA server) and `jayul run` (the autopilot against
whatever the plant file's `connect:` section binds)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from jayul.cli.fleet_site import site_edge, site_kpis, stored_hook
from jayul.connect.bindings import Bindings, BindingsError, MqttSink, OpcUaSink, load_bindings
from jayul.health.defaults import named_detector
from jayul.health.detector import Detector
from jayul.plant.model import NotModelledError
from jayul.records import utc_now_ns
from jayul.shell.errors import fail

if TYPE_CHECKING:
    from jayul.autopilot import Autopilot
    from jayul.autopilot.monitor import HealthMonitor
    from jayul.calibrate.recalibration import RecalibrationPolicy
    from jayul.connect.equipment import ConnectedPlant
    from jayul.connect.ingest import Ingest
    from jayul.decide.policy import Policy
    from jayul.gate import AutonomyLevel, Gate
    from jayul.historian.base import Historian
    from jayul.plant.model import Plant

console = Console()
twin_app = typer.Typer(
    help="The digital twin: serve it over OPC UA, calibrate it from history, recalibrate it.",
    no_args_is_help=True,
)


def _load(plant_file: Path) -> Bindings:
    try:
        return load_bindings(plant_file)
    except BindingsError as exc:
        fail(str(exc))


@twin_app.command("serve")
def serve(
    plant_file: Path = typer.Option(
        ..., "--plant", help="Plant file (with an optional connect: section)."
    ),
    port: int | None = typer.Option(None, help="TCP port (default: connect.server.port, 4840)."),
    seed: int = typer.Option(0, help="Random seed of the twin."),
    speed: float | None = typer.Option(
        None, min=0.001, help="Simulated seconds per wall second (default: connect.server.speed)."
    ),
    seconds: float | None = typer.Option(None, min=0.1, help="Stop after this many seconds."),
    db: Path = typer.Option(
        Path("twin-server.duckdb"),
        "--db",
        help="Plant database of the gate in front of the twin: approvals, audit trail.",
    ),
    autonomy: str = typer.Option(
        "L3",
        help="Level for clients' writes when none is stored (L3: inside the envelope they "
        "run, the rest is refused or waits for a person).",
    ),
) -> None:
    """Run the twin as an OPC UA server: Plant / Line / Machine, signals, setpoints, methods.
    Clients' writes and method calls go through the gate (see docs/connect.md)."""
    from jayul.connect.opcua_server import TwinServer, serving_twin
    from jayul.gate import AutonomyLevel

    bindings = _load(plant_file)
    update = {k: v for k, v in (("port", port), ("speed", speed)) if v is not None}
    config = bindings.connect.server.model_copy(update=update)
    try:
        twin = serving_twin(bindings.plant, seed)
        level = AutonomyLevel.parse(autonomy)
        server = TwinServer(
            bindings.plant,
            config,
            twin=twin,
            base=bindings.path.parent,
            gate_db=db,
            level=level,
        )
    except NotModelledError as exc:  # a plant file made for monitoring only
        fail(f"{bindings.path}: {exc}")
    except (ValueError, OSError) as exc:
        fail(str(exc))

    async def main() -> None:
        try:
            await server.start()
        except OSError as exc:
            fail(f"cannot serve on port {config.port}: {exc}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if seconds is not None:
            loop.call_later(seconds, stop.set)
        console.print(
            f"serving twin [bold]{bindings.plant.name}[/] at {server.endpoint} "
            f"(security {config.security.mode}, {config.speed:g}x real time); Ctrl-C stops"
        )
        await server.run_twin(stop)
        await server.stop()

    asyncio.run(main())


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
    fault_model: Path | None = typer.Option(
        None,
        "--fault-model",
        help="A process plant: a fault classifier (`jayul quality train faults`, its columns "
        "the plant's signals) whose known fault each alert names.",
    ),
) -> None:
    """Run the autopilot against the plant the file binds: sources -> durable buffer ->
    historian, health monitor, RUL (from the plant's own history), policy, verifier, gate,
    action sinks; with --port, the operator console over the same data."""
    from jayul.autopilot.executor import ActionExecutor
    from jayul.connect.equipment import ConnectedPlant
    from jayul.connect.ingest import Ingest
    from jayul.connect.sinks import MqttCommandSink
    from jayul.connect.sinks import OpcUaSink as OpcUaActionSink
    from jayul.decide.named import make_policy
    from jayul.fleet.tee import FleetTee
    from jayul.gate import AutonomyLevel
    from jayul.historian.open import open_historian

    bindings = _load(plant_file)
    edge = site_edge(plant_file, bindings)  # the plant file's fleet: section, if any
    if not bindings.connect.sources:
        fail(f"{plant_file}: connect.sources is empty: nothing to run against")
    try:
        make_policy(policy, bindings.plant)
        level = AutonomyLevel.parse(autonomy)
        detector_factory = named_detector(detector)
    except ValueError as exc:
        fail(str(exc))
    sinks: list[ActionExecutor] = []
    for cfg in bindings.connect.sinks:
        if isinstance(cfg, OpcUaSink):
            methods = (
                {m.machine: (m.object_id, m.method_id) for m in cfg.maintenance}
                if cfg.maintenance is not None
                else None
            )
            setpoints = (
                {(n.machine, n.setpoint): n.node_id for n in cfg.setpoints}
                if cfg.setpoints is not None
                else None
            )
            sinks.append(
                OpcUaActionSink(
                    cfg.endpoint,
                    bindings.plant.name,
                    cfg.security,
                    bindings.path.parent,
                    methods=methods,
                    setpoints=setpoints,
                )
            )
        elif isinstance(cfg, MqttSink):
            try:
                sink = MqttCommandSink.from_config(
                    cfg, bindings.topic_root(cfg.topic_root), bindings.path.parent
                )
            except BindingsError as exc:
                fail(str(exc))
            if sink.signing_key is None:
                console.print(
                    f"[bold yellow]warning:[/] MQTT commands to {cfg.host}:{cfg.port} go "
                    f"unsigned: set {cfg.signing_key_env or 'signing_key_file'} "
                    "(docs/connect.md, signed commands)",
                    highlight=False,
                )
            sinks.append(sink)
    equipment = ConnectedPlant(bindings, sinks)
    url = historian or bindings.connect.historian
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
    where = gate_db or Path(buffer or bindings.buffer_dir()) / "gate.duckdb"
    pilot = None
    if not ingest_only:
        from jayul.calibrate.recalibration import RecalibrationPolicy

        recal = RecalibrationPolicy(every_days=recalibrate_days, max_error=recalibrate_error)
        pilot_store = store if edge is None else FleetTee(store, edge)
        pilot = _plant_pilot(
            bindings, equipment, policy, pilot_store, where, level, fit_h, tick_s,
            detector_factory, (twin, recal), setpoint_targets, fault_model,
        )  # fmt: skip
    if edge is not None:
        edge.kpis = site_kpis(ingest, pilot)
        edge.start()
        console.print(f"fleet: site {edge.config.site} -> {edge.config.url}", highlight=False)
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
    try:
        if pilot is not None and port is not None:
            serve(
                bindings, pilot, store, where, port, host, admin_password, seconds,
                ingest, watch, tick_s,
            )  # fmt: skip
        else:
            drive(
                ingest, watch, pilot, tick_s, seconds, lambda: stopping,
                lambda prefix: _report(ingest, pilot, prefix),
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
        _report(ingest, pilot, "stopped: ")
        store.close()


def _plant_pilot(
    bindings: Bindings,
    equipment: ConnectedPlant,
    policy: str,
    store: Historian,
    gate_db: Path,
    level: AutonomyLevel,
    fit_h: float,
    tick_s: float,
    detector_factory: Callable[[], Detector],
    twin: tuple[Path | None, RecalibrationPolicy],
    setpoint_targets: Path | None = None,
    fault_model: Path | None = None,
) -> Autopilot:
    """The same autopilot `jayul demo` builds, over connected equipment: RUL models from the
    plant's own history when it has enough, the verifier (on the calibrated twin when one is
    given; without, it finds no twin, so the gate asks a person) and the gate."""
    from jayul.autopilot.monitor import HealthMonitor
    from jayul.autopilot.plant_history import train_from_history
    from jayul.autopilot.setup import gate_for, pilot_for
    from jayul.verify import Verifier

    plant = bindings.plant
    rul_models = None
    if policy == "predictive":
        found = train_from_history(plant, store, equipment.time_ns())
        console.print(found.message, highlight=False)
        rul_models = found.models
    proposer: str | Policy = policy
    current = None
    if plant.process is not None:  # a continuous process: setpoint changes, not maintenance
        from jayul.cli.run_process_plant import process_policy

        proposer, current = process_policy(plant, setpoint_targets), equipment.setpoint_in_force
    elif setpoint_targets is not None or fault_model is not None:
        what = "--setpoint-targets" if setpoint_targets is not None else "--fault-model"
        fail(f"{what}: plant {plant.name!r} is not a process (no process: section)")
    try:
        gate = gate_for(plant, equipment, str(gate_db), level, by="run", current=current)
    except OSError as exc:
        fail(str(exc))
    verifier = Verifier()
    if twin[0] is not None:
        from jayul.cli.run_twin import calibrated_verifier

        verifier, equipment.twin = calibrated_verifier(
            twin[0], plant, gate, store, equipment.time_ns(), twin[1]
        )
    pilot = pilot_for(
        plant,
        equipment,
        proposer,
        store,
        rul_models,
        gate=gate,
        verifier=verifier,
        monitor=_monitor(
            plant, gate, HealthMonitor(plant, fit_h, detector_factory), fault_model, store
        ),
    )
    pilot.tick_h = tick_s / 3600.0
    pilot.flush_every = 1  # events reach the historian (and the console) at once
    unbound = [m.id for m in plant.machines if m.id not in equipment.binding]
    if unbound:
        console.print(
            f"no machine state bound for {', '.join(unbound)} (connect.machines): "
            "taken as running, with no run hours",
            highlight=False,
        )
    return pilot


def _monitor(
    plant: Plant, gate: Gate, units: HealthMonitor, fault_model: Path | None, store: Historian
) -> HealthMonitor:
    """The units' monitor; on a process, inside the process monitor (the soft sensor's drift,
    refitted from the historian through the registry and the deployment gate, and the known
    fault named)."""
    if plant.process is None:
        return units
    from jayul.autopilot.process_monitor import ProcessMonitor
    from jayul.autopilot.soft_sensor_refit import SoftSensorRefit
    from jayul.cli.run_process_plant import load_fault_namer
    from jayul.govern.registry import Registry

    namer = load_fault_namer(fault_model, plant) if fault_model is not None else None
    refit = SoftSensorRefit(plant, Registry(gate.con, gate.audit), historian=store)
    return ProcessMonitor(units, namer, refit)


def _report(ingest: Ingest, pilot: Autopilot | None, prefix: str) -> None:
    w = ingest.writer.stats
    done = ""
    if pilot is not None:
        c = pilot.counters
        done = f", {c.alerts} alerts, {c.actions_proposed} actions proposed"
        done += f", {c.actions_executed} executed"
    console.print(
        f"{prefix}{w.samples_stored} samples and {w.dead_letters} dead letters stored{done}"
        + (f" (store: {w.last_error})" if w.last_error else ""),
        highlight=False,
    )


def check_brokers(bindings: Bindings) -> None:
    """Warn (in the background, ingestion goes on) about MQTT brokers that drop what they
    queue for jayul (jayul.connect.broker_check)."""
    import threading

    from jayul.connect.bindings import MqttSource
    from jayul.connect.broker_check import broker_warnings

    def check() -> None:
        for cfg in bindings.connect.sources:
            if isinstance(cfg, MqttSource):
                for warning in broker_warnings(cfg, bindings.path.parent):
                    console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)

    threading.Thread(target=check, name="jayul-broker-check", daemon=True).start()


def register_connect(app: typer.Typer) -> None:
    """Add `jayul twin serve` and `jayul run` to the main command."""
    from jayul.cli.twin_calibrate import twin_calibrate
    from jayul.cli.twin_recalibrate import twin_recalibrate

    twin_app.command("calibrate")(twin_calibrate)
    twin_app.command("recalibrate")(twin_recalibrate)
    app.add_typer(twin_app, name="twin")
    app.command("run")(run)
