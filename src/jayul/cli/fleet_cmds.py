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
    import uvicorn

    from jayul.fleet import Centre
    from jayul.fleet.auth import FleetAuth
    from jayul.fleet.stream import Link

console = Console()
FLEET_DB_ENV = "JAYUL_FLEET_DB"
DEFAULT_FLEET_DB = "postgresql://127.0.0.1/jayul"  # a database of the fleet's own, not a test's
fleet_app = typer.Typer(
    help="The fleet centre: what sites share, stored in PostgreSQL (docs/fleet.md).",
    no_args_is_help=True,
)


@fleet_app.command("serve")
def fleet_serve(
    db: str = typer.Option(
        DEFAULT_FLEET_DB,
        "--db",
        envvar=FLEET_DB_ENV,
        show_envvar=True,
        help="PostgreSQL URL of the centre's store.",
    ),
    schema: str = typer.Option("jayul_fleet", help="PostgreSQL schema of the fleet's tables."),
    nats_url: str = typer.Option("nats://127.0.0.1:4222", "--nats", help="NATS server URL."),
    stream: str = typer.Option("JAYUL_FLEET", help="JetStream stream the sites publish to."),
    subject_prefix: str = typer.Option(
        "jayul", help="Subjects are <prefix>.site.<site>.<kind> (as the sites' fleet: sections)."
    ),
    durable: str = typer.Option("jayul-centre", help="Name of the durable pull consumer."),
    writers: int = typer.Option(
        2,
        min=1,
        max=8,
        help="Batches written to PostgreSQL side by side, each on a connection of its own "
        "(the next batch is fetched and read meanwhile).",
    ),
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
    tls_ca: Path | None = typer.Option(
        None, "--tls-ca", help="The fleet's CA: verify the NATS server against it (tls:// URL)."
    ),
    tls_cert: Path | None = typer.Option(
        None, "--tls-cert", help="The centre's client certificate (mutual TLS)."
    ),
    tls_key: Path | None = typer.Option(None, "--tls-key", help="Its private key."),
    nkey: Path | None = typer.Option(None, "--nkey", help="The centre's NKey seed file."),
    https_cert: Path | None = typer.Option(
        None, "--https-cert", help="Serve the console over HTTPS with this certificate."
    ),
    https_key: Path | None = typer.Option(None, "--https-key", help="Its private key."),
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
    link = _link(tls_ca, tls_cert, tls_key, nkey)
    https = _https(https_cert, https_key)
    config = CentreConfig(
        nats_url, db, schema, stream, subject_prefix, durable, link=link, writers=writers
    )
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
    if link.tls is not None or https is not None:
        from jayul.fleet.cert_renewal import renew_on_sighup

        renew_on_sighup()  # renewed certificates (docs/fleet.md, rotating certificates)
    try:
        if port is not None and auth is not None:
            _serve_console(centre, auth, host, port, offline_after, seconds, https)
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
    https: tuple[Path, Path] | None = None,
) -> None:
    server = console_server(centre, auth, host, port, offline_after, https)
    scheme = "https" if https else "http"
    console.print(f"[bold]fleet console[/] at {scheme}://{host}:{port}/  (API: /api/fleet/sites)")
    if seconds is not None:
        threading.Timer(seconds, lambda: setattr(server, "should_exit", True)).start()
    server.run()


def console_server(
    centre: Centre,
    auth: FleetAuth,
    host: str,
    port: int,
    offline_after: float,
    https: tuple[Path, Path] | None = None,
) -> uvicorn.Server:
    """The fleet console's server (HTTPS with `https`: certificate and key files)."""
    import uvicorn

    from jayul.fleet.api import create_fleet_app

    server = uvicorn.Server(
        uvicorn.Config(
            create_fleet_app(centre, auth, offline_after),
            host=host,
            port=port,
            log_level="warning",
            ssl_certfile=str(https[0]) if https else None,
            ssl_keyfile=str(https[1]) if https else None,
        )
    )
    if https is not None:  # SIGHUP loads a renewed certificate for the next connections
        from jayul.fleet.cert_renewal import RenewableTls

        server.config.load()  # makes its TLS context now (run() would)
        if server.config.ssl is not None:
            RenewableTls(server.config.ssl, https[0], https[1], kept=True)
    return server


def _link(ca: Path | None, cert: Path | None, key: Path | None, nkey: Path | None) -> Link:
    """The centre's TLS and NKey files, each checked now (a missing one would otherwise show
    only as a reconnection error in the log)."""
    from jayul.fleet.nats_tls import TlsFiles
    from jayul.fleet.stream import Link

    if (cert is None) != (key is None):
        fail("--tls-cert and --tls-key go together")
    if cert is not None and ca is None:
        fail("--tls-cert needs --tls-ca (the fleet's CA, to verify the NATS server)")
    for option, path in (
        ("--tls-ca", ca),
        ("--tls-cert", cert),
        ("--tls-key", key),
        ("--nkey", nkey),
    ):
        if path is not None and not path.is_file():
            fail(f"{option} {path}: not a readable file")
    return Link(TlsFiles(ca, cert, key) if ca is not None else None, nkey)


def _https(cert: Path | None, key: Path | None) -> tuple[Path, Path] | None:
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        fail("--https-cert and --https-key go together")
    for option, path in (("--https-cert", cert), ("--https-key", key)):
        if not path.is_file():
            fail(f"{option} {path}: not a readable file")
    return cert, key


# the nats-config command registers itself on fleet_app
from jayul.cli import fleet_nats  # noqa: E402, F401
