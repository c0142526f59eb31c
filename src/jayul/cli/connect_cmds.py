"""`jayul twin serve` (the twin as an OPC UA server) and `jayul run` (the autopilot against
whatever the plant file's `connect:` section binds)."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import typer
from rich.console import Console

from jayul.cli.errors import fail
from jayul.connect.bindings import Bindings, BindingsError, MqttSink, OpcUaSink, load_bindings

console = Console()
twin_app = typer.Typer(
    help="The digital twin: serve it over OPC UA, calibrate it from history.", no_args_is_help=True
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
) -> None:
    """Run the twin as an OPC UA server: Plant / Line / Machine, signals, setpoints, methods."""
    from jayul.connect.opcua_server import TwinServer, serving_twin

    bindings = _load(plant_file)
    update = {k: v for k, v in (("port", port), ("speed", speed)) if v is not None}
    config = bindings.connect.server.model_copy(update=update)
    server = TwinServer(
        bindings.plant, config, twin=serving_twin(bindings.plant, seed), base=bindings.path.parent
    )

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
    historian: str | None = typer.Option(None, help="Historian URL (default: connect.historian)."),
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
            sinks.append(MqttCommandSink(cfg.host, cfg.port, bindings.topic_root(cfg.topic_root)))
    try:
        level = AutonomyLevel.parse(autonomy)
    except ValueError as exc:
        fail(str(exc))
    pilot = SourcePilot(bindings.plant, chosen, HealthMonitor(bindings.plant, fit_h=fit_h), sinks)
    origins = Origins()
    origins.register(chosen.name, proposers=frozenset({"autopilot"}))
    try:
        where = gate_db or Path(buffer or bindings.connect.buffer) / "gate.duckdb"
        pilot.gate = Gate(bindings.plant, where, pilot.send, origins, default_level=level)
    except OSError as exc:
        fail(str(exc))
    pilot.gate.autonomy.set_level(
        level, "jayul run", utc_now_ns(), f"jayul run --autonomy {level.name}"
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
    ingest.start()
    kinds = ", ".join(s.kind for s in bindings.connect.sources)
    console.print(
        f"running [bold]{bindings.plant.name}[/] from {kinds}; Ctrl-C stops", highlight=False
    )
    started = time.monotonic()
    last_report = started
    while not stopping and (seconds is None or time.monotonic() - started < seconds):
        time.sleep(tick_s)
        events = [] if ingest_only else pilot.tick()
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


def register_connect(app: typer.Typer) -> None:
    """Add `jayul twin serve` and `jayul run` to the main command."""
    from jayul.cli.twin_calibrate import twin_calibrate

    twin_app.command("calibrate")(twin_calibrate)
    app.add_typer(twin_app, name="twin")
    app.command("run")(run)
