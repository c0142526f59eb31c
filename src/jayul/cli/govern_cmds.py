"""`jayul models ...` and `jayul audit ...`: the registry and the audit trail from the shell."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.table import Table

from jayul.cli.db_option import PLANT_FILE_OPTION, plant_gate_db
from jayul.cli.gate_cmds import DbOption, console, fail, plant_db
from jayul.govern.audit import verify_database
from jayul.govern.audit_anchor import open_anchor
from jayul.govern.audit_backlog import backlog_path, read_backlog
from jayul.govern.audit_chain import AuditReport
from jayul.govern.audit_file import verify_trail_file
from jayul.govern.audit_key import (
    KEY_ENV,
    KEY_FILE_ENV,
    AuditKeyError,
    AuditKeyring,
    default_key_path,
    load_keyring,
    resolve_keyring,
)
from jayul.govern.audit_proof import Checkpoint, read_checkpoints
from jayul.govern.db import connect, has_table
from jayul.govern.registry import ModelRecord, Registry
from jayul.records.timebase import utc_now_ns

govern_app = typer.Typer(no_args_is_help=True)
models_app = typer.Typer(
    help="The model registry: list, card, scorecard, promote.", no_args_is_help=True
)
audit_app = typer.Typer(
    help="The keyed, hash-chained audit trail: verify, checkpoint, export, key.",
    no_args_is_help=True,
)
key_app = typer.Typer(help="The audit key: rotate.", no_args_is_help=True)
govern_app.add_typer(models_app, name="models")
govern_app.add_typer(audit_app, name="audit")
audit_app.add_typer(key_app, name="key")


def _get(reg: Registry, name: str, version: int | None) -> ModelRecord:
    try:
        return reg.get(name, version)
    except KeyError as exc:
        raise fail(str(exc.args[0])) from None


@models_app.command("list")
def models_list(db: Path = DbOption) -> None:
    """Every registered model version with its status and risk."""
    with plant_db(db) as (con, audit):
        models = Registry(con, audit).models()
    table = Table(title=f"models in {db}")
    for col in (
        "name",
        "version",
        "class",
        "status",
        "risk",
        "max autonomy",
        "fingerprint",
        "metrics",
    ):
        table.add_column(col)
    for m in models:
        risk = m.scorecard.overall.value if m.scorecard else "unscored"
        cap = m.scorecard.max_autonomy.name if m.scorecard else "-"
        metrics = ", ".join(f"{k}={v:.3g}" for k, v in sorted(m.metrics.items()))
        table.add_row(
            m.name,
            str(m.version),
            m.class_name.rsplit(".", 1)[-1],
            m.status,
            risk,
            cap,
            m.fingerprint[:12],
            metrics,
        )
    console.print(table)


@models_app.command("card")
def models_card(
    name: str, version: int | None = typer.Option(None, "--version"), db: Path = DbOption
) -> None:
    """Print a model's card (markdown)."""
    with plant_db(db) as (con, audit):
        m = _get(Registry(con, audit), name, version)
    if m.card is None:
        raise fail(f"{name} version {m.version} has no model card", 1)
    console.print(m.card.to_markdown(f"{m.name} v{m.version} ({m.class_name})"), highlight=False)
    console.print(f"params: {m.params}\ntraining data fingerprint: {m.fingerprint}")


@models_app.command("scorecard")
def models_scorecard(
    name: str, version: int | None = typer.Option(None, "--version"), db: Path = DbOption
) -> None:
    """Print a model's risk scorecard with its evidence."""
    with plant_db(db) as (con, audit):
        m = _get(Registry(con, audit), name, version)
    if m.scorecard is None:
        raise fail(f"{name} version {m.version} has no scorecard yet", 1)
    sc = m.scorecard
    table = Table(
        title=f"{m.name} v{m.version}: overall {sc.overall.value}, "
        f"may drive up to {sc.max_autonomy.name}"
    )
    table.add_column("dimension")
    table.add_column("level")
    table.add_column("evidence", overflow="fold")
    for dim, rating in sc.ratings().items():
        table.add_row(dim, rating.level.value, rating.evidence)
    console.print(table)


@models_app.command("promote")
def models_promote(
    name: str,
    version: int,
    by: str = typer.Option(..., "--by", help="your name"),
    approver: str | None = typer.Option(None, "--approver", help="named approver (high risk)"),
    db: Path = DbOption,
) -> None:
    """Deploy a version through the deployment gate (high risk needs --approver)."""
    with plant_db(db) as (con, audit):
        reg = Registry(con, audit)
        _get(reg, name, version)
        decision = reg.promote(name, version, by, utc_now_ns(), approver)
    if not decision.allowed:
        raise fail(f"not deployed: {decision.reason}", 1)
    console.print(f"{name} v{version} deployed ({decision.reason})")


def _report(report: AuditReport, head: str | None) -> None:
    if report.ok and head is not None and head != report.head:
        raise fail(
            f"chain intact ({report.records} records) but its head {report.head} is not "
            f"the published head {head}: the trail was rewritten or cut",
            1,
        )
    if not report.ok:
        raise fail(report.summary(), 1)
    console.print(report.summary(), highlight=False, soft_wrap=True)
    if not report.proven:
        # intact as far as it can be checked, but not everything is vouched for: say so
        raise typer.Exit(3)


def _keyring(key_file: Path | None, db: Path | None) -> AuditKeyring | None:
    try:
        if key_file is not None:
            return load_keyring(key_file)
        return resolve_keyring(str(db) if db is not None else None, create=False)
    except AuditKeyError as exc:
        raise fail(str(exc)) from None


def _checkpoints(path: Path | None) -> list[Checkpoint]:
    if path is None:
        return []
    try:
        return read_checkpoints(path)
    except ValueError as exc:
        raise fail(str(exc)) from None


KeyFileOption = typer.Option(
    None,
    "--key-file",
    help="the audit keyring (default: $JAYUL_AUDIT_KEY, $JAYUL_AUDIT_KEY_FILE, <db>.audit-key)",
)


@audit_app.command("verify")
def audit_verify(
    db: Path = DbOption,
    file: Path | None = typer.Option(None, "--file", help="verify an exported trail instead"),
    head: str | None = typer.Option(None, "--head", help="a head hash published earlier"),
    checkpoints: Path | None = typer.Option(
        None,
        "--checkpoints",
        help="signed checkpoints kept elsewhere (JSON lines, or a syslog collector's log)",
    ),
    anchor: str | None = typer.Option(
        None,
        "--anchor",
        help="a second database holding the trail's checkpoints (postgresql://..., "
        "duckdb:///PATH; ?trail=NAME if not the plant database's path), or an anchor file",
    ),
    key_file: Path | None = KeyFileOption,
    plant: Path | None = PLANT_FILE_OPTION,
) -> None:
    """Check the trail: chain, MACs, head and signed checkpoints. Exit 0: intact and proven
    by the key; 1: broken (changed, deleted, reordered, inserted, forged); 3: intact as far
    as it can be checked, but not proven (no key, or records written before the key)."""
    db = plant_gate_db(db, plant)
    cps = _checkpoints(checkpoints)
    if anchor is not None:
        try:
            cps += open_anchor(anchor, str(db)).read()
        except ValueError as exc:
            raise fail(str(exc)) from None
    if file is not None:
        ring = _keyring(key_file, db)  # the key of --db's trail, if it is here
        try:
            report = verify_trail_file(file, ring, cps)
        except ValueError as exc:
            raise fail(str(exc)) from None
    else:
        ring = _keyring(key_file, db)
        if not db.exists():
            raise fail(f"{db}: no plant database here (run the demo or pass --db)")
        try:
            con = connect(db)
        except OSError as exc:
            raise fail(str(exc)) from None
        try:
            found = verify_database(con, ring, cps) if has_table(con, "audit_log") else None
        finally:
            con.close()
        if found is None:
            raise fail(f"{db}: no audit trail in this database")
        report = found
        _report_unanchored(db)
    _report(report, head)


def _report_unanchored(db: Path) -> None:
    """Say which signed checkpoints still wait for the audit anchor (its backlog file)."""
    path = backlog_path(str(db.resolve()))
    pending, _, anchor = read_backlog(path) if path is not None else ([], -1, "")
    if pending:
        counts = ", ".join(str(cp.count) for cp in pending[:10])
        more = ", ..." if len(pending) > 10 else ""
        console.print(
            f"[yellow]{len(pending)} signed checkpoint(s) not yet confirmed by the audit anchor "
            f"{anchor} (at {counts}{more} records); they are sent again at the next write, "
            "or now by `jayul audit checkpoint`[/yellow]",
            highlight=False,
            soft_wrap=True,
        )


@audit_app.command("checkpoint")
def audit_checkpoint(
    out: Path = typer.Option(
        ..., "--out", help="append the signed checkpoint here (keep it on another machine)"
    ),
    db: Path = DbOption,
) -> None:
    """Sign the trail's current count and head hash with the audit key and append it to OUT.

    `jayul audit verify --checkpoints OUT` then catches any later rewrite of those records,
    or the whole database rolled back to an older copy."""
    with plant_db(db) as (_con, audit):
        report = audit.verify()
        if not report.ok:
            raise fail(f"refusing to checkpoint a broken trail: {report.summary()}", 1)
        try:
            cp = audit.checkpoint(out)
        except (ValueError, OSError) as exc:
            raise fail(str(exc)) from None
    console.print(f"checkpoint: {cp.count} records, head {cp.head} -> {out}", highlight=False)
    if audit.anchor_error is not None:
        raise fail(f"the checkpoint did not reach the audit anchor: {audit.anchor_error}")


@key_app.command("rotate")
def audit_key_rotate(db: Path = DbOption, key_file: Path | None = KeyFileOption) -> None:
    """Add a fresh signing key to the keyring; older keys keep verifying older records.
    Back the keyring file up after every rotation."""
    path = key_file or (Path(os.environ[KEY_FILE_ENV]) if os.environ.get(KEY_FILE_ENV) else None)
    path = path or default_key_path(db)
    if os.environ.get(KEY_ENV):
        raise fail(f"{KEY_ENV} is set: rotate by putting a new key first in that variable")
    try:
        ring = load_keyring(path) if path.exists() else AuditKeyring.generate(path)
        new = ring.rotate()
        ring.save(path)
    except (AuditKeyError, OSError) as exc:
        raise fail(str(exc)) from None
    console.print(f"{path}: new signing key {new} ({len(ring.keys)} key(s) in the keyring)")


@audit_app.command("export")
def audit_export(
    out: Path = typer.Option(..., "--out", help="the JSON-lines file to write"),
    db: Path = DbOption,
) -> None:
    """Write the trail as JSON lines that `jayul audit verify --file` checks on its own."""
    with plant_db(db) as (_con, audit):
        report = audit.verify()
        if not report.ok:
            raise fail(f"refusing to export a broken trail: {report.summary()}", 1)
        count = audit.export(out)
    console.print(
        f"{count} records written to {out}; head {report.head}", highlight=False, soft_wrap=True
    )
