"""`jayul twin serve`: the twin as an OPC UA server, every client's write through the gate;
and the `jayul twin` group that `calibrate` and `recalibrate` join."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import typer
from rich.console import Console

from jayul.connect.bindings import Bindings, BindingsError, load_bindings
from jayul.plant.model import NotModelledError
from jayul.shell.errors import fail

console = Console()
twin_app = typer.Typer(
    help="The digital twin: serve it over OPC UA, calibrate it from history, recalibrate it.",
    no_args_is_help=True,
)


def load_or_fail(plant_file: Path) -> Bindings:
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

    bindings = load_or_fail(plant_file)
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
