"""Serving the console for a running autopilot: what `jayul demo` (without --no-ui) and
`jayul serve` call.

`run_console(plant, pilot, historian, port, speed, db_path)` wraps the autopilot in a
`LiveState`, creates a first admin when the plant database has no users (printing its
password once), optionally warms the loop up unpaced, then ticks it paced to the wall clock in
a background thread while uvicorn serves the API and console until Ctrl-C.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import uvicorn
from rich.console import Console

from jayul.autopilot import Autopilot, TwinPlant
from jayul.connect.notify import Notifier, load_channels
from jayul.connect.notify_outbox import NotifyOutbox
from jayul.gate import Gate
from jayul.historian.base import Historian
from jayul.historian.sql_store import SqlHistorian
from jayul.plant.model import Plant
from jayul.server.app import create_app
from jayul.server.live import LiveState
from jayul.server.users import Role

console = Console()


def ensure_admin(state: LiveState, name: str = "admin") -> tuple[str, str] | None:
    """A first admin with a random password when there are no users yet; its login, or None."""
    with state.lock:
        if state.users.list():
            return None
        password = secrets.token_urlsafe(12)
        # on the deployment's one clock (plant time under the twin), as every audit record
        state.users.add(name, Role.ADMIN, password, by="jayul", now=state.port.time_ns())
    return name, password


def first_start_help(db_path: str | Path) -> list[str]:
    """What to do after the first login: the admin manages users only (separation of duties),
    so someone must add an operator (approves maintenance) and an engineer (setpoints,
    autonomy) before anyone can act on the plant."""
    return [
        "  (shown once.) This admin manages users only: it cannot propose or approve.",
        "  Sign in as admin, open [bold]Users[/] and add an [bold]operator[/] (approves "
        "maintenance, acknowledges alarms) and an [bold]engineer[/] (also setpoints and "
        "autonomy); then sign in as one of them.",
        f"  Or, with the server stopped: jayul users add olga --role operator --db {db_path}",
    ]


def pace_ticks(pilot: Autopilot, speed: float) -> float:
    """Tick about once a wall-clock second (between one plant minute and one plant hour per
    tick), and make the twin emit its signals at the same step, so live charts move smoothly
    instead of jumping an hour at a time. Returns the tick length in plant hours."""
    tick_h = min(max(speed / 3600.0, 1.0 / 60.0), 1.0)
    # The twin's next tick is already scheduled at its old step; run up to it (unpaced) so
    # that the new step applies from now on, not an old step later.
    twin = pilot.twin
    old = twin.tick_h
    twin.tick_h = tick_h
    pilot.tick_h = old
    pilot.tick()
    pilot.tick_h = tick_h
    return tick_h


def prepare(
    plant: Plant,
    pilot: Autopilot,
    historian: Historian | None,
    speed: float,
    db_path: str | Path,
    *,
    gate: Gate | None = None,
    warmup_h: float = 0.0,
    warm_until_alert: bool = False,
) -> LiveState:
    """The live state, warmed up and paced, not yet ticking in the background."""
    if speed <= 0:
        raise ValueError(f"--speed must be positive, got {speed}")
    state = LiveState(plant, pilot, historian, str(db_path), speed=speed, gate=gate)
    if warmup_h > 0:
        gate_ = state.gate

        def shows_the_loop() -> bool:
            # a request waiting for a person; with `warm_until_alert` (the demo: the console
            # opens on the whole loop) an explained alert as well
            alerted = pilot.counters.alerts > 0 or not warm_until_alert
            return alerted and (gate_ is not None and gate_.approvals.count_open() > 0)

        state.warm_up(warmup_h, until=shows_the_loop)
    with state.lock:
        if isinstance(pilot.plant, TwinPlant):  # real equipment keeps its own pace
            pace_ticks(pilot, speed)
        state.publish()
    return state


def run_console(
    plant: Plant,
    pilot: Autopilot,
    historian: Historian | None,
    port: int,
    speed: float,
    db_path: str | Path,
    *,
    host: str = "127.0.0.1",
    gate: Gate | None = None,
    warmup_h: float = 0.0,
    warm_until_alert: bool = False,
    notify: Path | None = None,
) -> None:
    """Serve the console for `pilot` until Ctrl-C; prints the address and a first login.
    `notify`: a channels file (webhooks, e-mail, command hooks) for alarm notifications."""
    channels = load_channels(notify.read_text(), str(notify)) if notify is not None else []
    state = prepare(
        plant, pilot, historian, speed, db_path,
        gate=gate, warmup_h=warmup_h, warm_until_alert=warm_until_alert,
    )  # fmt: skip
    if channels:
        # queued messages wait in the historian's database: a restart delivers them
        outbox = NotifyOutbox(historian) if isinstance(historian, SqlHistorian) else None
        state.attach_notifier(Notifier(channels, outbox=outbox))
        console.print(f"notifying alarms through {', '.join(c.id for c in channels)}")
    login = ensure_admin(state)
    app = create_app(state)
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    console.print(f"[bold]jayul console[/] at http://{shown}:{port}/  (API docs: /api/docs)")
    if login is not None:
        console.print(f"first login: user [bold]{login[0]}[/], password [bold]{login[1]}[/]")
        for line in first_start_help(db_path):
            console.print(line)
    elif all(u.role is Role.ADMIN for u in state.users.list()):
        for line in first_start_help(db_path)[1:]:
            console.print(line)
    console.print(
        f"plant time runs {speed:g}x the wall clock; plant hour {state.port.now_h:.1f}; "
        "Ctrl-C stops"
    )
    state.start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        state.stop()
