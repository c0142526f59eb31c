"""`jayul run`'s two ways of running once everything is built: ticking in the foreground
(`drive`), or the operator console with the loop in the background (`serve`). Both watch the
inputs (jayul.connect.input_watch) every tick and stop with a clear error and a non-zero exit
code when ingestion gave up or nothing arrived for `connect.no_data.stop_after_s`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from jayul.autopilot import Autopilot
from jayul.connect.bindings import Bindings
from jayul.connect.ingest import Ingest
from jayul.connect.input_watch import InputCheck, InputWatch
from jayul.historian.base import Historian
from jayul.records import utc_now_ns
from jayul.shell.errors import fail

console = Console()


def watch_once(watch: InputWatch, ingest: Ingest) -> InputCheck:
    """One check of the inputs: its alerts to the historian and the console."""
    found = watch.check(utc_now_ns())
    if found.events:
        ingest.writer.add_events(found.events)
        for e in found.events:
            console.print(
                f"[bold yellow]input:[/] {e.machine + ': ' if e.machine else ''}"
                f"{e.payload.get('reason', '')}",
                highlight=False,
                soft_wrap=True,
            )
    return found


def drive(
    ingest: Ingest,
    watch: InputWatch,
    pilot: Autopilot | None,
    tick_s: float,
    seconds: float | None,
    stopping: Callable[[], bool],
    report: Callable[[str], None],
) -> None:
    """Tick the loop in the foreground at `tick_s` until stopped (or `seconds` pass)."""
    started = time.monotonic()
    last_report = started
    while not stopping() and (seconds is None or time.monotonic() - started < seconds):
        time.sleep(tick_s)
        found = watch_once(watch, ingest)
        if found.fatal is not None:
            fail(found.fatal, code=found.exit_code)
        if pilot is not None:
            pilot.tick()
        if time.monotonic() - last_report >= 10:
            last_report = time.monotonic()
            report("")


def serve(
    bindings: Bindings,
    pilot: Autopilot,
    store: Historian,
    gate_db: Path,
    port: int,
    host: str,
    admin_password: str | None,
    seconds: float | None,
    ingest: Ingest,
    watch: InputWatch,
    tick_s: float,
) -> None:
    """The operator console over the real plant: the loop ticks in the background at its
    wall-clock pace while uvicorn serves until Ctrl-C (or `seconds`, or the inputs fail)."""
    import uvicorn

    from jayul.cli.demo_ui import ensure_admin
    from jayul.server.app import create_app
    from jayul.server.live import LiveState
    from jayul.server.users import Role

    state = LiveState(bindings.plant, pilot, store, str(gate_db), speed=1.0)
    state.devices = ingest.devices  # the device-health board (/api/devices)
    state.inputs = watch  # what the input watch adds to it, and /api/health's inputs_ok
    if admin_password is not None:
        with state.lock:
            if not state.users.list():
                state.users.add("admin", Role.ADMIN, admin_password, by="jayul run")
    login = ensure_admin(state)
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    console.print(f"[bold]jayul console[/] at http://{shown}:{port}/  (API docs: /api/docs)")
    if login is not None:
        console.print(f"first login: user [bold]{login[0]}[/], password [bold]{login[1]}[/]")
    server = uvicorn.Server(
        uvicorn.Config(create_app(state), host=host, port=port, log_level="warning")
    )
    done = threading.Event()
    fatal: list[InputCheck] = []

    def watching() -> None:
        while not done.wait(tick_s):
            found = watch_once(watch, ingest)
            if found.fatal is not None:
                fatal.append(found)
                server.should_exit = True
                return

    if seconds is not None:
        threading.Timer(seconds, lambda: setattr(server, "should_exit", True)).start()
    watcher = threading.Thread(target=watching, name="jayul-input-watch", daemon=True)
    state.start()
    watcher.start()
    try:
        server.run()
    finally:
        done.set()
        state.stop()
    if fatal:
        fail(fatal[0].fatal or "", code=fatal[0].exit_code)
