"""`jayul approvals|autonomy|kill` against a real plant database file, as authenticated
users (the stored role counts, never a flag)."""

from __future__ import annotations

from pathlib import Path

from gate_helpers import T0, Recorder, maintenance, verified
from pytest import MonkeyPatch
from typer.testing import CliRunner

from jayul.cli.gate_cmds import console, gate_app
from jayul.connect.bindings import load_bindings
from jayul.gate import AutonomyLevel, Gate, Origins
from jayul.govern.audit import AuditLog
from jayul.govern.db import connect
from jayul.plant import demo_plant_path
from jayul.plant.model import Plant
from jayul.records.events import ActionKind
from jayul.server.users import UserStore

runner = CliRunner()
console.width = 250  # tables wide enough to read in full
PASSWORDS = {"olga": "olga-pass-1", "erik": "erik-pass-1", "vera": "vera-pass-1"}
ROLES = {"olga": "operator", "erik": "engineer", "vera": "viewer"}


def add_users(db: Path) -> None:
    con = connect(db)
    audit = AuditLog(con)
    store = UserStore(con, audit)
    for name, password in PASSWORDS.items():
        store.add(name, ROLES[name], password, by="test")
    audit.close()
    con.close()


def as_user(name: str, *args: str, password: str | None = None):  # type: ignore[no-untyped-def]
    env = {"JAYUL_PASSWORD": password or PASSWORDS[name]}
    return runner.invoke(gate_app, [*args, "--user", name], env=env)


def pending_db(plant: Plant, tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "plant.duckdb"
    origins = Origins()
    origins.register("policy:cbm")
    con = connect(db)
    gate = Gate(plant, con, Recorder(), origins, default_level=AutonomyLevel.L2)
    out = gate.propose(maintenance(), verified(), T0)
    gate.audit.close()
    con.close()
    add_users(db)
    return db, str(out.approval_id)


def test_list_approve_and_the_gate_runs_it(plant: Plant, tmp_path: Path) -> None:
    db, aid = pending_db(plant, tmp_path)
    listed = runner.invoke(gate_app, ["approvals", "list", "--db", str(db)])
    assert listed.exit_code == 0 and aid[:10] in listed.output
    # roles are no longer declared: the old way is refused outright
    declared = runner.invoke(
        gate_app,
        ["approvals", "approve", aid[:6], "--by", "mallory", "--role", "engineer", "--db", str(db)],
    )
    assert declared.exit_code != 0
    no_user = runner.invoke(gate_app, ["approvals", "approve", aid[:6], "--db", str(db)])
    assert no_user.exit_code == 1 and "--user" in no_user.output
    guessed = as_user("olga", "approvals", "approve", aid[:6], "--db", str(db), password="guess")
    assert guessed.exit_code == 1 and "wrong user name or password" in guessed.output
    viewer = as_user("vera", "approvals", "approve", aid[:6], "--db", str(db))
    assert viewer.exit_code == 1 and "may not" in viewer.output
    ok = as_user("olga", "approvals", "approve", aid[:6], "--db", str(db))
    assert ok.exit_code == 0, ok.output
    done = Recorder()
    origins = Origins()
    origins.register("policy:cbm")
    con = connect(db)
    gate = Gate(plant, con, done, origins, default_level=AutonomyLevel.L2)
    gate.tick(T0 + 10)
    assert len(done.done) == 1 and gate.audit.verify().ok
    kinds = [r.kind for r in gate.audit.records()]
    assert "cli_login_failed" in kinds
    assert gate.audit.records(kind="approval_approved")[-1].actor == "olga"
    con.close()


def test_reject_and_unknown_ids(plant: Plant, tmp_path: Path) -> None:
    db, aid = pending_db(plant, tmp_path)
    assert as_user("olga", "approvals", "reject", aid, "--db", str(db)).exit_code == 0
    again = as_user("olga", "approvals", "approve", aid, "--db", str(db))
    assert again.exit_code == 1 and "rejected" in again.output
    missing = as_user("olga", "approvals", "approve", "zzz", "--db", str(db))
    assert missing.exit_code == 2 and "no approval requests" in missing.output


def test_autonomy_set_show_and_kill(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    add_users(db)
    base = ["--reason", "pilot", "--db", str(db)]
    assert as_user("erik", "autonomy", "set", "L3", *base).exit_code == 0
    r = as_user(
        "erik", "autonomy", "set", "L4", "--line", "line2", "--action", "start_maintenance", *base
    )
    assert r.exit_code == 0 and "line:line2/action:start_maintenance" in r.output
    assert as_user("erik", "autonomy", "set", "L9", *base).exit_code == 2
    operator = as_user("olga", "autonomy", "set", "L4", *base)
    assert operator.exit_code == 1 and "engineer only" in operator.output
    assert as_user("erik", "autonomy", "set", "L2", "--action", "fly", *base).exit_code == 2
    shown = runner.invoke(gate_app, ["autonomy", "show", "--db", str(db)])
    assert "L3" in shown.output and "KILL" not in shown.output
    # anyone may pull the kill switch, without a login
    assert runner.invoke(gate_app, ["kill", "--by", "olga", *base]).exit_code == 0
    assert "KILL SWITCH ON" in runner.invoke(gate_app, ["autonomy", "show", "--db", str(db)]).output
    refused = as_user("olga", "kill", "--clear", *base)
    assert refused.exit_code == 1
    cleared = as_user("erik", "kill", "--clear", *base)
    assert cleared.exit_code == 0, cleared.output
    assert "KILL" not in runner.invoke(gate_app, ["autonomy", "show", "--db", str(db)]).output


def test_without_users_only_the_file_owner_acts(tmp_path: Path) -> None:
    db = tmp_path / "gate.duckdb"
    ok = runner.invoke(gate_app, ["autonomy", "set", "L0", "--reason", "r", "--db", str(db)])
    assert ok.exit_code == 0, ok.output
    con = connect(db)
    actor = AuditLog(con).records(kind="autonomy")[-1].actor
    con.close()
    assert actor.startswith("os:")
    named = runner.invoke(
        gate_app, ["autonomy", "set", "L4", "--reason", "r", "--user", "mallory", "--db", str(db)]
    )
    assert named.exit_code == 1 and "no users" in named.output


def test_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    r = runner.invoke(gate_app, ["approvals", "list", "--db", str(tmp_path / "none.duckdb")])
    assert r.exit_code == 2 and "no plant database" in r.output


def run_site(tmp_path: Path) -> Path:
    """A plant file as `jayul run --plant` reads it: its buffer, and so its gate database, in
    a folder of its own beside the file."""
    site = tmp_path / "site"
    site.mkdir()
    path = site / "plant.yaml"
    path.write_text(
        f"plant_file: {demo_plant_path()}\nconnect:\n  buffer: run-buffer\n"
        "  sources:\n    - {kind: mqtt, port: 1883}\n"
    )
    return path


def test_plant_means_the_gate_database_jayul_run_keeps(
    plant: Plant, tmp_path: Path, monkeypatch: MonkeyPatch
) -> None:
    """`autonomy set|clear|show` and `kill` with `--plant F` change what `jayul run --plant F`
    reads (they wrote ./jayul.duckdb, which the running loop never sees)."""
    f = run_site(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    args = ["--reason", "pilot", "--plant", str(f)]
    ok = runner.invoke(gate_app, ["autonomy", "set", "L3", *args])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(gate_app, ["autonomy", "set", "L4", "--line", "line9", *args])
    assert bad.exit_code == 2 and "line 'line9' is not in" in bad.output  # still checked
    line = runner.invoke(gate_app, ["autonomy", "set", "L1", "--line", "line2", *args])
    assert line.exit_code == 0, line.output
    shown = runner.invoke(gate_app, ["autonomy", "show", "--plant", str(f)])
    assert "L3" in shown.output and "line:line2" in shown.output
    assert runner.invoke(gate_app, ["autonomy", "clear", "--line", "line2", *args]).exit_code == 0
    assert not (elsewhere / "jayul.duckdb").exists()
    # the gate `jayul run --plant F` builds on its gate database sees the new level
    where = load_bindings(f).gate_db()
    assert where == f.parent / "run-buffer" / "gate.duckdb"
    gate = Gate(plant, str(where), Recorder(), Origins(), default_level=AutonomyLevel.L1)
    assert gate.autonomy.level_for("line2", ActionKind.START_MAINTENANCE) is AutonomyLevel.L3
    gate.audit.close()
    gate.con.close()
    killed = runner.invoke(gate_app, ["kill", "--by", "olga", *args])
    assert killed.exit_code == 0, killed.output
    gate = Gate(plant, str(where), Recorder(), Origins(), default_level=AutonomyLevel.L1)
    assert gate.autonomy.killed
    gate.audit.close()
    gate.con.close()
