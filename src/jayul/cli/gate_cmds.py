"""`jayul approvals ...`, `jayul autonomy ...`, `jayul kill`: the gate from the command line.

They work on the plant database file (`--db`, default jayul.duckdb or
$JAYUL_DB), or with `--plant FILE` on the gate database `jayul run --plant FILE` keeps (as
`jayul approvals`, `jayul query` and `jayul audit verify` do). DuckDB lets one process
write a file at a time, so run them while no demo holds the file; a running autopilot picks
up decisions at its next tick. A decision is also recorded as an `approval` event in the
plant's historian, as the console records it (`jayul.cli.approval_record`). Who acts is
authenticated (`jayul.cli.local_auth`): a user of the plant database with their password,
or, on a database without users, only the operating system user owning the file. Pulling the
kill switch needs no login (`--by` names who pulled it): stopping is always allowed;
releasing it needs an engineer.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from jayul.cli.approval_record import record_in_historian
from jayul.cli.db_option import DB_FILE_OPTION, PLANT_FILE_OPTION, plant_gate_db, plant_historian
from jayul.cli.local_auth import (
    Identity,
    NotAllowedError,
    PasswordFileOption,
    UserOption,
    identify,
)
from jayul.gate.approval_event import approval_event
from jayul.gate.approvals import OPEN, Approval, ApprovalQueue
from jayul.gate.autonomy import (
    KILL_SCOPE,
    AutonomyConfig,
    kill_file_for,
    scope_name,
    write_kill_file,
)
from jayul.govern.audit import AuditLog
from jayul.govern.db import Connection, connect
from jayul.records.autonomy import AutonomyLevel
from jayul.records.events import ActionKind
from jayul.records.timebase import from_ns, utc_now_ns

gate_app = typer.Typer(no_args_is_help=True)
approvals_app = typer.Typer(help="The approval queue: list, approve, reject.", no_args_is_help=True)
autonomy_app = typer.Typer(
    help="Autonomy levels per plant, line, action class.", no_args_is_help=True
)
gate_app.add_typer(approvals_app, name="approvals")
gate_app.add_typer(autonomy_app, name="autonomy")

console = Console()
DbOption = DB_FILE_OPTION
# `--plant` where a `--line` is given too: the gate database, and the line checked
PLANT_GATE_OPTION: Any = typer.Option(
    None,
    "--plant",
    help="A plant file run with `jayul run --plant`: change the gate database that run keeps "
    "(gate.duckdb in connect.buffer's folder) instead of --db, and check --line against it.",
)


def fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def plant_db(path: Path, must_exist: bool = True) -> Iterator[tuple[Connection, AuditLog]]:
    """Open the plant database and its audit log; flush and close on the way out."""
    if must_exist and not path.exists():
        raise fail(f"{path}: no plant database here (pass --db or set JAYUL_DB)")
    try:
        con = connect(path)
    except OSError as exc:
        raise fail(str(exc)) from None
    audit = AuditLog(con)
    try:
        yield con, audit
    finally:
        audit.close()
        con.close()


def _when(ns: int | None) -> str:
    return "-" if ns is None else from_ns(ns).strftime("%Y-%m-%d %H:%M:%S")


def _find(queue: ApprovalQueue, prefix: str) -> Approval:
    matches = [a for a in queue.requests() if a.id.startswith(prefix)]
    if len(matches) != 1:
        what = "no" if not matches else f"{len(matches)}"
        raise fail(f"{what} approval requests match id {prefix!r}")
    return matches[0]


@approvals_app.command("list")
def approvals_list(
    db: Path = DbOption,
    all_: bool = typer.Option(False, "--all", help="also decided and expired requests"),
    plant: Path | None = PLANT_FILE_OPTION,
) -> None:
    """Show approval requests (open ones unless --all)."""
    db = plant_gate_db(db, plant)
    with plant_db(db) as (con, audit):
        queue = ApprovalQueue(con, audit)
        items = queue.requests(None if all_ else OPEN)
    table = Table(title=f"approval requests in {db}")
    for col in (
        "id",
        "machine",
        "action",
        "params",
        "why a person",
        "proposed by",
        "requested",
        "expires",
        "roles",
        "status",
    ):
        table.add_column(col)
    for a in items:
        table.add_row(
            a.id[:10],
            a.action.machine,
            a.action.kind.value,
            str(a.action.params),
            a.reason,
            a.proposed_by or "-",
            _when(a.requested_at),
            _when(a.expires_at),
            ",".join(sorted(a.roles)),
            a.status,
        )
    console.print(table)
    if not items:
        console.print("no requests" + ("" if all_ else " open"))


def who(con: Connection, audit: AuditLog, db: Path, user: str | None, pw: Path | None) -> Identity:
    """The authenticated caller, or exit 1 with the reason."""
    try:
        return identify(con, audit, db, user, pw)
    except NotAllowedError as exc:
        raise fail(str(exc), 1) from None


def _decide(
    db: Path,
    historian: str,
    approval_id: str,
    approve: bool,
    user: str | None,
    pw: Path | None,
    note: str,
) -> None:
    """Decide in the gate database `db`, then record the decision as an `approval` event in
    the plant's `historian` (as the console and the API do), once the gate database is closed
    again: the two are often one file."""
    with plant_db(db) as (con, audit):
        ident = who(con, audit, db, user, pw)
        by, role = ident.name, ident.role
        queue = ApprovalQueue(con, audit)
        item = _find(queue, approval_id)
        try:
            done = queue.decide(item.id, approve, by, role, utc_now_ns(), note)
        except (PermissionError, ValueError) as exc:
            raise fail(str(exc), 1) from None
    verb = "approved" if approve else "rejected"
    console.print(f"{done.id[:10]} {verb} by {by} ({role}).")
    if approve:
        console.print("The gate executes it at its next tick, after checking the envelope again.")
    problem = record_in_historian(historian, approval_event(done, approve, note))
    if problem is None:
        console.print(f"Recorded in the historian {historian} as an `approval` event.")
        return
    console.print(
        f"[yellow]warning:[/yellow] {problem}. The decision is stored in the gate database "
        f"{db} (its approvals and audit trail), but not as an `approval` event in the "
        "historian, so `jayul query events` and the history explorer do not show it.",
        highlight=False,
        soft_wrap=True,
    )


@approvals_app.command("approve")
def approvals_approve(
    approval_id: str = typer.Argument(..., help="request id (a unique prefix is enough)"),
    user: str | None = UserOption,
    password_file: Path | None = PasswordFileOption,
    note: str = typer.Option("", "--note"),
    db: Path = DbOption,
    plant: Path | None = PLANT_FILE_OPTION,
) -> None:
    """Approve an open request (your stored role must be one the request allows)."""
    gate_db, historian = _databases(db, plant)
    _decide(gate_db, historian, approval_id, True, user, password_file, note)


@approvals_app.command("reject")
def approvals_reject(
    approval_id: str = typer.Argument(..., help="request id (a unique prefix is enough)"),
    user: str | None = UserOption,
    password_file: Path | None = PasswordFileOption,
    note: str = typer.Option("", "--note"),
    db: Path = DbOption,
    plant: Path | None = PLANT_FILE_OPTION,
) -> None:
    """Reject an open request: it will not run."""
    gate_db, historian = _databases(db, plant)
    _decide(gate_db, historian, approval_id, False, user, password_file, note)


def _databases(db: Path, plant: Path | None) -> tuple[Path, str]:
    """The gate database and the historian a decision goes to: with a plant file, those
    `jayul run --plant FILE` keeps (gate.duckdb, and its connect.historian); else `--db`,
    which holds both."""
    if plant is None:
        return db, str(db)
    return plant_gate_db(db, plant), plant_historian(None, plant)


def _kind(action: str | None) -> ActionKind | None:
    if action is None:
        return None
    try:
        return ActionKind(action)
    except ValueError:
        raise fail(
            f"action class {action!r}: expected one of {', '.join(k.value for k in ActionKind)}"
        ) from None


@autonomy_app.command("set")
def autonomy_set(
    level: str = typer.Argument(..., help="L0 monitor, L1 advise, L2 approve, L3, L4"),
    reason: str = typer.Option(..., "--reason", help="why (goes into the audit trail)"),
    user: str | None = UserOption,
    password_file: Path | None = PasswordFileOption,
    line: str | None = typer.Option(None, "--line", help="only this line"),
    action: str | None = typer.Option(None, "--action", help="only this action class"),
    plant: Path | None = PLANT_GATE_OPTION,
    db: Path = DbOption,
) -> None:
    """Set the autonomy level of the plant, a line, an action class or both (audited)."""
    try:
        parsed = AutonomyLevel.parse(level)
    except ValueError as exc:
        raise fail(str(exc)) from None
    db = plant_gate_db(db, plant, line)
    kind = _kind(action)
    with plant_db(db, must_exist=False) as (con, audit):
        ident = who(con, audit, db, user, password_file)
        if ident.role not in ("engineer", "admin"):
            raise fail(f"{ident.name} ({ident.role}) may not change autonomy (engineer only)", 1)
        config = AutonomyConfig(con, audit)
        scope = config.set_level(parsed, ident.name, utc_now_ns(), reason, line, kind)
    console.print(f"{scope}: {parsed.name} ({parsed.label})")


@autonomy_app.command("clear")
def autonomy_clear(
    reason: str = typer.Option(..., "--reason"),
    user: str | None = UserOption,
    password_file: Path | None = PasswordFileOption,
    line: str | None = typer.Option(None, "--line"),
    action: str | None = typer.Option(None, "--action"),
    db: Path = DbOption,
    plant: Path | None = PLANT_GATE_OPTION,
) -> None:
    """Remove a line or action-class override (the plant level then applies)."""
    db = plant_gate_db(db, plant, line)
    scope = scope_name(line, _kind(action))
    with plant_db(db) as (con, audit):
        ident = who(con, audit, db, user, password_file)
        if ident.role not in ("engineer", "admin"):
            raise fail(f"{ident.name} ({ident.role}) may not change autonomy (engineer only)", 1)
        try:
            AutonomyConfig(con, audit).clear_level(ident.name, utc_now_ns(), reason, scope)
        except ValueError as exc:
            raise fail(str(exc)) from None
    console.print(f"{scope}: override removed")


@autonomy_app.command("show")
def autonomy_show(db: Path = DbOption, plant: Path | None = PLANT_FILE_OPTION) -> None:
    """Show every autonomy setting and whether the kill switch is on."""
    db = plant_gate_db(db, plant)
    with plant_db(db) as (con, audit):
        config = AutonomyConfig(con, audit)
        settings = config.settings()
        default = config.default
    if KILL_SCOPE in settings:
        k = settings[KILL_SCOPE]
        console.print(
            f"[bold red]KILL SWITCH ON[/bold red] since {_when(k.set_at)} by "
            f"{k.set_by}: {k.reason}. Everything runs at L0."
        )
    table = Table(title="autonomy (most specific scope wins)")
    for col in ("scope", "level", "meaning", "set by", "set at", "reason"):
        table.add_column(col)
    if "plant" not in settings:
        table.add_row(
            "plant",
            default.name,
            default.label,
            "(not set)",
            "-",
            "a running gate uses its own start-up default until this is set",
        )
    for s in sorted(settings.values(), key=lambda s: (s.scope.count("/"), s.scope)):
        if s.scope != KILL_SCOPE:
            table.add_row(s.scope, s.level.name, s.level.label, s.set_by, _when(s.set_at), s.reason)
    console.print(table)


@gate_app.command("kill")
def kill(
    reason: str = typer.Option(..., "--reason", help="why (goes into the audit trail)"),
    by: str = typer.Option(
        getpass.getuser(), "--by", help="who pulls it (declared: anyone may stop the plant)"
    ),
    clear: bool = typer.Option(False, "--clear", help="release the kill switch (engineer)"),
    user: str | None = UserOption,
    password_file: Path | None = PasswordFileOption,
    db: Path = DbOption,
    plant: Path | None = PLANT_FILE_OPTION,
) -> None:
    """Drop the whole plant to L0 at once (or, with --clear, release it).

    If a running demo or `jayul run` holds the database, a kill file is left next to it
    instead; the gate engages the kill switch before its next proposal.
    """
    db = plant_gate_db(db, plant)
    now = utc_now_ns()
    if not clear:
        try:
            con = connect(db)
        except OSError:
            write_kill_file(kill_file_for(db), by, now, reason)
            console.print(
                f"[bold red]KILL[/bold red]: {db} is held by a running process; "
                f"wrote {kill_file_for(db)}, the gate engages the kill switch before "
                "its next proposal"
            )
            return
        audit = AuditLog(con)
        try:
            AutonomyConfig(con, audit).kill(by, now, reason)
        finally:
            audit.close()
            con.close()
        console.print("[bold red]KILL SWITCH ON[/bold red]: the whole plant is at L0")
        return
    with plant_db(db) as (con, audit):
        ident = who(con, audit, db, user, password_file)
        try:
            AutonomyConfig(con, audit).clear_kill(ident.name, ident.role, now, reason)
        except PermissionError as exc:
            raise fail(str(exc), 1) from None
    console.print("kill switch released: the stored autonomy levels apply again")
