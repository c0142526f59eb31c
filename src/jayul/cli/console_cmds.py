"""`jayul serve` (the console and API over a paced twin) and `jayul users add|list|remove`.

Users live in the plant database. DuckDB lets one process write a file, so `jayul users ...`
works while no server holds the database; while one runs, an admin manages users on the
console's Users page (or `POST /api/users`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from jayul.autopilot.setup import assemble
from jayul.cli.db_option import DB_FILE_OPTION
from jayul.cli.local_auth import NotAllowedError, PasswordFileOption, UserOption, identify
from jayul.connect.notify import load_channels
from jayul.decide.named import POLICY_NAMES, make_policy
from jayul.gate import AutonomyLevel
from jayul.govern.audit import AuditLog
from jayul.govern.audit_backlog import SUFFIX as BACKLOG_SUFFIX
from jayul.govern.db import connect
from jayul.historian.open import open_historian
from jayul.plant import PlantFileError, demo_plant_path, load_plant
from jayul.plant.model import NotModelledError
from jayul.records.timebase import from_ns
from jayul.server.users import Role, UserStore
from jayul.shell.errors import fail
from jayul.twin import Twin

console = Console()
users_app = typer.Typer(help="Console users and their roles.", no_args_is_help=True)
DB_OPTION = DB_FILE_OPTION


def serve(
    plant_file: Path | None = typer.Option(None, "--plant", help="Plant file (default: demo)."),
    db: Path = DB_FILE_OPTION,
    port: int = typer.Option(8080, min=1, max=65535, help="HTTP port."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0: every one)."),
    speed: float = typer.Option(60.0, min=0.001, help="Plant seconds per wall-clock second."),
    seed: int = typer.Option(0, help="Random seed of the twin."),
    policy: str = typer.Option("condition", help=f"Policy: {', '.join(POLICY_NAMES)}."),
    autonomy: str = typer.Option("L2", help="Autonomy level plant-wide, L0 to L4."),
    warmup_h: float = typer.Option(
        96.0,
        min=0.0,
        help="Plant hours to run unpaced first (the detectors train on the first 96 h); "
        "stops early when a request waits for approval.",
    ),
    verify: bool = typer.Option(
        True,
        "--verify/--no-verify",
        help="Try each proposal on forked twins first (--no-verify: straight to the gate, "
        "which then treats every proposal as an exception for a person).",
    ),
    fresh: bool = typer.Option(
        False,
        "--fresh",
        help="DELETE the database first: its audit trail, users, approvals and autonomy "
        "settings (asks for confirmation unless --yes). Without it the database is kept.",
    ),
    yes: bool = typer.Option(False, "--yes", help="Confirm --fresh without asking."),
    secure_cookies: bool = typer.Option(
        False,
        "--secure-cookies",
        envvar="JAYUL_SECURE_COOKIES",
        help="Mark the session cookie Secure (behind a TLS proxy; over https it always is).",
    ),
    notify: Path | None = typer.Option(
        None, help="Channels file (webhooks, e-mail, command hooks) for alarm notifications."
    ),
    admin_password: str | None = typer.Option(
        None,
        envvar="JAYUL_ADMIN_PASSWORD",
        help="Password of the first admin (default: a random one, printed once).",
    ),
) -> None:
    """Run the twin paced to the wall clock under the autopilot and serve the console."""
    from jayul.cli.demo_ui import run_console  # uvicorn only when serving

    if secure_cookies:
        os.environ["JAYUL_SECURE_COOKIES"] = "1"

    try:
        plant = load_plant(plant_file or demo_plant_path())
        make_policy(policy, plant)
        level = AutonomyLevel.parse(autonomy)
    except (PlantFileError, ValueError) as exc:
        fail(str(exc))
    if fresh and db.exists():
        if not yes and not typer.confirm(
            f"--fresh deletes {db} with its audit trail and users. Continue?", default=False
        ):
            fail("not deleted: run without --fresh to keep the database")
        # the anchor backlog holds the deleted trail's checkpoints: never send them for the new
        for stale in (db, Path(f"{db}.wal"), Path(f"{db}{BACKLOG_SUFFIX}")):
            stale.unlink(missing_ok=True)
    if notify is not None:
        try:
            load_channels(notify.read_text(), str(notify))
        except (OSError, ValueError) as exc:
            fail(f"--notify: {exc}")
    try:
        twin = Twin(plant, seed=seed)
    except NotModelledError as exc:  # a plant file made for monitoring only
        fail(f"{plant_file or demo_plant_path()}: {exc}")
    try:
        historian = open_historian(str(db))
    except OSError as exc:
        fail(str(exc))
    with historian:
        assembly = assemble(plant, twin, policy, historian, str(db), level, verify=verify)
        if admin_password is not None and assembly.gate is not None:
            store = UserStore(assembly.gate.con, assembly.gate.audit)
            try:
                if not store.list():
                    store.add(
                        "admin", Role.ADMIN, admin_password, by="jayul serve", now=twin.time_ns()
                    )
            except ValueError as exc:
                fail(f"--admin-password: {exc}")
        run_console(
            plant,
            assembly.pilot,
            historian,
            port,
            speed,
            db,
            host=host,
            gate=assembly.gate,
            warmup_h=warmup_h,
            notify=notify,
        )


@contextmanager
def user_store(db: Path, create: bool = False) -> Iterator[UserStore]:
    if not create and not db.exists():
        fail(f"{db}: no such plant database")
    try:
        con = connect(db)
    except OSError as exc:
        fail(f"{exc} (is a server running on it? manage users on its Users page then)")
    try:
        audit = AuditLog(con)
        yield UserStore(con, audit)
        audit.close()
    finally:
        con.close()


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Option(..., help="viewer, agent, operator, engineer or admin."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters."
    ),
    user: str | None = UserOption,
    password_file: Path | None = PasswordFileOption,
    db: Path = DB_OPTION,
) -> None:
    """Add a user with a role (scrypt-hashed). The first user may be added by the OS user
    owning the database; after that only an admin (--user, with their password)."""
    with user_store(db, create=True) as store:
        by = _admin(store, db, user, password_file)
        try:
            added = store.add(name, role, password, by)
        except ValueError as exc:
            fail(str(exc))
    console.print(f"added {added.name} ({added.role.value}) as {by}")


def _admin(store: UserStore, db: Path, user: str | None, password_file: Path | None) -> str:
    """Who manages users: an authenticated admin, or the file's owner while none exist."""
    try:
        ident = identify(store.con, store.audit, db, user, password_file)
    except NotAllowedError as exc:
        fail(str(exc))
    if store.list() and ident.role != "admin":
        fail(f"{ident.name} ({ident.role}) may not manage users (admin only)")
    return ident.name


@users_app.command("list")
def users_list(db: Path = DB_OPTION) -> None:
    """List users and their roles."""
    with user_store(db) as store:
        found = store.list()
    table = Table(title=f"users in {db}")
    for col in ("name", "role", "created", "by"):
        table.add_column(col)
    for u in found:
        table.add_row(u.name, u.role.value, from_ns(u.created_at).isoformat(), u.created_by)
    console.print(table)


@users_app.command("remove")
def users_remove(
    name: str = typer.Argument(..., help="User name."),
    user: str | None = UserOption,
    password_file: Path | None = PasswordFileOption,
    db: Path = DB_OPTION,
) -> None:
    """Remove a user (not the last admin); an admin only."""
    with user_store(db) as store:
        by = _admin(store, db, user, password_file)
        try:
            store.remove(name, by)
        except (KeyError, ValueError) as exc:
            fail(str(exc).strip("'\""))
    console.print(f"removed {name}")


def register_console(app: typer.Typer) -> None:
    """Add `serve` and `users` to the `jayul` command."""
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
