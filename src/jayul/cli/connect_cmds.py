"""`jayul twin serve` (the twin as an OPC UA server) and `jayul run` (the autopilot against
whatever the plant file's `connect:` section binds)."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import typer
from rich.console import Console

from jayul.connect.bindings import Bindings, BindingsError, MqttSink, OpcUaSink, load_bindings
from jayul.plant.model import NotModelledError
from jayul.shell.errors import fail

console = Console()
twin_app = typer.Typer(
    help="The digital twin as a plant: serve it over OPC UA.", no_args_is_help=True
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
        "condition", help="Maintenance policy: reactive, preventive, condition."
    ),
    fit_h: float = typer.Option(
        96.0, min=0.01, help="Hours of data the health monitor learns from."
    ),
    seconds: float | None = typer.Option(None, min=0.1, help="Stop after this many seconds."),
    tick_s: float = typer.Option(1.0, min=0.05, help="Seconds between autopilot ticks."),
    ingest_only: bool = typer.Option(
        False, "--ingest-only", help="Only store what the sources send (no monitor, no policy)."
    ),
    autonomy: str = typer.Option(
        "L2",
        help="Autonomy level for actions on the real plant (L2: a person approves each, "
        "with `jayul approvals approve`; L0 monitor, L1 advise, L3/L4 see docs/autonomy.md).",
    ),
    gate_db: Path | None = typer.Option(
        None,
        help="Plant database of the gate: approvals, audit trail (default: gate.duckdb in "
        "the durable buffer's directory).",
    ),
) -> None:
    """Run the autopilot against the plant the file binds: sources -> durable buffer ->
    historian, health monitor, policy, action sinks."""
    from jayul.autopilot.executor import ActionExecutor
    from jayul.autopilot.monitor import HealthMonitor
    from jayul.connect.ingest import Ingest
    from jayul.connect.pilot import SourcePilot
    from jayul.connect.sinks import MqttCommandSink
    from jayul.connect.sinks import OpcUaSink as OpcUaActionSink
    from jayul.decide.named import make_policy
    from jayul.gate import AutonomyLevel, Gate, Origins
    from jayul.records import utc_now_ns

    bindings = _load(plant_file)
    if not bindings.connect.sources:
        fail(f"{plant_file}: connect.sources is empty: nothing to run against")
    try:
        chosen = make_policy(policy, bindings.plant)
    except ValueError as exc:
        fail(str(exc))
    sinks: list[ActionExecutor] = []
    for cfg in bindings.connect.sinks:
        if isinstance(cfg, OpcUaSink):
            sinks.append(
                OpcUaActionSink(
                    cfg.endpoint, bindings.plant.name, cfg.security, bindings.path.parent
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
    try:
        level = AutonomyLevel.parse(autonomy)
    except ValueError as exc:
        fail(str(exc))
    pilot = SourcePilot(bindings.plant, chosen, HealthMonitor(bindings.plant, fit_h=fit_h), sinks)
    origins = Origins()
    origins.register(chosen.name, proposers=frozenset({"autopilot"}))
    try:
        where = gate_db or Path(buffer or bindings.buffer_dir()) / "gate.duckdb"
        pilot.gate = Gate(bindings.plant, where, pilot.send, origins, default_level=level)
    except OSError as exc:
        fail(str(exc))
    in_force = pilot.gate.autonomy.start_level(
        level, "jayul run", utc_now_ns(), f"jayul run --autonomy {level.name}"
    )
    if in_force.level != level or in_force.scope != "plant":
        console.print(
            f"[yellow]autonomy stays {in_force.level.name}[/] ({in_force.scope}, set by "
            f"{in_force.set_by}: {in_force.reason}); --autonomy {level.name} applies only to a "
            "new plant database. Change it with `jayul autonomy set`.",
            highlight=False,
        )
    on_stored = None if ingest_only else pilot.on_stored
    try:
        ingest = Ingest(bindings, historian=historian, buffer=buffer, on_stored=on_stored)
    except (OSError, ValueError) as exc:
        fail(f"cannot start the ingest pipeline: {exc}")
    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    from jayul.connect.source_health import NoDataWatch, check_sources

    problems = check_sources(bindings)
    if problems:
        for p in problems:
            console.print(f"[bold red]error:[/] {p}", highlight=False, soft_wrap=True)
        raise typer.Exit(3)
    ingest.start()
    check_brokers(bindings)
    no_data = bindings.connect.no_data
    watch = NoDataWatch(
        ingest.intake.board, bindings.plant, utc_now_ns(), no_data.periods, no_data.signals
    )
    kinds = ", ".join(s.kind for s in bindings.connect.sources)
    console.print(
        f"running [bold]{bindings.plant.name}[/] from {kinds}; Ctrl-C stops", highlight=False
    )
    started = time.monotonic()
    last_report = started
    while not stopping and (seconds is None or time.monotonic() - started < seconds):
        time.sleep(tick_s)
        if (broken := ingest.failure()) is not None:
            ingest.stop(drain_s=0)
            fail(f"ingestion stopped: {broken}", code=1)
        events = [] if ingest_only else pilot.tick()
        events += watch.events(utc_now_ns())
        if events:
            ingest.writer.add_events(events)
        if time.monotonic() - last_report >= 10:
            last_report = time.monotonic()
            w = ingest.writer.stats
            console.print(
                f"stored {w.samples_stored} samples, {w.dead_letters} dead letters, "
                f"{pilot.counters.alerts} alerts, {pilot.counters.actions_executed} actions"
                + (f" (store: {w.last_error})" if w.last_error else ""),
                highlight=False,
            )
    ingest.stop()
    pilot.gate.audit.flush()
    w = ingest.writer.stats
    console.print(
        f"stopped: {w.samples_stored} samples and {w.dead_letters} dead letters stored, "
        f"{pilot.counters.alerts} alerts, {pilot.counters.actions_proposed} actions proposed",
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
    app.add_typer(twin_app, name="twin")
    app.command("run")(run)
