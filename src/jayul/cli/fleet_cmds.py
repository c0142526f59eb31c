"""`jayul fleet serve`: the fleet centre (NATS JetStream -> PostgreSQL) and its console."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from jayul.shell.errors import fail

if TYPE_CHECKING:
    from jayul.fleet import Centre
    from jayul.fleet.auth import FleetAuth

console = Console()
fleet_app = typer.Typer(
    help="The fleet centre: what sites share, stored in PostgreSQL (docs/fleet.md).",
    no_args_is_help=True,
)


@fleet_app.command("serve")
def fleet_serve(
    db: str = typer.Option(
        "postgresql://127.0.0.1/test", "--db", help="PostgreSQL URL of the centre's store."
    ),
    schema: str = typer.Option("jayul_fleet", help="PostgreSQL schema of the fleet's tables."),
    nats_url: str = typer.Option("nats://127.0.0.1:4222", "--nats", help="NATS server URL."),
    stream: str = typer.Option("JAYUL_FLEET", help="JetStream stream the sites publish to."),
    subject_prefix: str = typer.Option(
        "jayul", help="Subjects are <prefix>.site.<site>.<kind> (as the sites' fleet: sections)."
    ),
    durable: str = typer.Option("jayul-centre", help="Name of the durable pull consumer."),
    port: int | None = typer.Option(
        None, min=1, max=65535, help="Serve the fleet console and /api/fleet/sites on this port."
    ),
    host: str = typer.Option("127.0.0.1", help="Address the console listens on."),
    users: Path | None = typer.Option(
        None,
        "--users",
        help="jayul database of the console's users (as jayul users add --db); needed with "
        "--port: the console shows nothing without a login.",
    ),
    admin_password: str | None = typer.Option(
        None,
        envvar="JAYUL_ADMIN_PASSWORD",
        help="With --users holding no user yet: create user 'admin' with this password.",
    ),
    offline_after: float = typer.Option(
        60.0, min=1.0, help="A site not heard from for this many seconds shows as offline."
    ),
    seconds: float | None = typer.Option(None, min=0.1, help="Stop after this many seconds."),
) -> None:
    """Consume every site's messages into PostgreSQL (acknowledged after commit, idempotent on
    message id); with --port, the fleet console over the same tables."""
    import psycopg

    from jayul.fleet import Centre, CentreConfig

    auth: FleetAuth | None = None
    if port is not None:
        from jayul.fleet.auth import open_fleet_auth

        if users is None:
            fail("--port serves the fleet console, which needs a login: give --users DB")
        try:
            auth = open_fleet_auth(users, admin_password)
        except (OSError, ValueError) as exc:
            fail(f"--users {users}: {exc}")
    config = CentreConfig(nats_url, db, schema, stream, subject_prefix, durable)
    try:
        centre = Centre(config)
    except psycopg.Error as exc:
        fail(f"cannot open the fleet store {db} (schema {schema}): {exc}")
    done = threading.Event()

    def stop(*_args: object) -> None:
        done.set()

    console.print(
        f"fleet centre: {nats_url} stream {stream} -> {db} schema {schema}; Ctrl-C stops",
        highlight=False,
    )
    centre.start()
    try:
        if port is not None and auth is not None:
            _serve_console(centre, auth, host, port, offline_after, seconds)
        else:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            done.wait(seconds)
    finally:
        centre.stop()
        s = centre.stats
        console.print(
            f"stopped: {s.stored} messages stored ({s.samples} samples), {s.repeats} repeats "
            f"skipped, {s.dead} dead letters",
            highlight=False,
        )


def _serve_console(
    centre: Centre,
    auth: FleetAuth,
    host: str,
    port: int,
    offline_after: float,
    seconds: float | None,
) -> None:
    import uvicorn

    from jayul.fleet.api import create_fleet_app

    server = uvicorn.Server(
        uvicorn.Config(
            create_fleet_app(centre, auth, offline_after),
            host=host,
            port=port,
            log_level="warning",
        )
    )
    console.print(f"[bold]fleet console[/] at http://{host}:{port}/  (API: /api/fleet/sites)")
    if seconds is not None:
        threading.Timer(seconds, lambda: setattr(server, "should_exit", True)).start()
    server.run()


@fleet_app.command("nats-config")
def fleet_nats_config(
    sites: list[str] = typer.Argument(..., help="Site ids (as in their fleet: sections)."),
    out: Path = typer.Option(..., "--out", help="Where to write the nats-server configuration."),
    urls: Path = typer.Option(
        ..., "--urls", help="Where to write each site's and the centre's NATS URL (secret)."
    ),
    host: str = typer.Option("127.0.0.1", help="Address nats-server listens on."),
    port: int = typer.Option(4222, min=1, max=65535, help="Port nats-server listens on."),
    store_dir: Path = typer.Option(..., "--store-dir", help="JetStream's store directory."),
    stream: str = typer.Option("JAYUL_FLEET", help="The fleet's stream (sites may read its info)."),
    subject_prefix: str = typer.Option("jayul", help="As the sites' fleet: sections."),
) -> None:
    """A nats-server configuration with one user per site, each allowed to publish only on its
    own subjects, and one for the centre; the URLs (with fresh random passwords) go to --urls.
    Both files are written readable by their owner only (docs/fleet.md)."""
    from jayul.fleet.nats_auth import new_passwords, server_config, url_for

    try:
        passwords = new_passwords(sites)
        text = server_config(passwords, port, store_dir, subject_prefix, stream, host)
    except ValueError as exc:
        fail(str(exc))
    lines = [f"{name} {url_for(name, pw, host, port)}" for name, pw in passwords.items()]
    for path, body in ((out, text), (urls, "\n".join(lines) + "\n")):
        try:
            path.touch(mode=0o600, exist_ok=False)
            path.write_text(body)
        except OSError as exc:
            fail(f"{path}: cannot write it ({exc}); it must not exist yet")
    console.print(
        f"wrote {out} ({len(sites)} sites and the centre) and their URLs to {urls}; "
        f"start it with nats-server -c {out}",
        highlight=False,
    )
