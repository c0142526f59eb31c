"""`jayul approvals|autonomy|kill` against a real plant database file."""

from __future__ import annotations

from pathlib import Path

from gate_helpers import T0, Recorder, maintenance, verified
from typer.testing import CliRunner

from jayul.cli.gate_cmds import console, gate_app
from jayul.gate import AutonomyLevel, Gate, Origins
from jayul.govern.db import connect
from jayul.plant.model import Plant

runner = CliRunner()
console.width = 250  # tables wide enough to read in full


def pending_db(plant: Plant, tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "plant.duckdb"
    origins = Origins()
    origins.register("policy:cbm")
    con = connect(db)
    gate = Gate(plant, con, Recorder(), origins, default_level=AutonomyLevel.L2)
    out = gate.propose(maintenance(), verified(), T0)
    gate.audit.close()
    con.close()
    return db, str(out.approval_id)


def test_list_approve_and_the_gate_runs_it(plant: Plant, tmp_path: Path) -> None:
    db, aid = pending_db(plant, tmp_path)
    listed = runner.invoke(gate_app, ["approvals", "list", "--db", str(db)])
    assert listed.exit_code == 0 and aid[:10] in listed.output
    denied = runner.invoke(
        gate_app,
        ["approvals", "approve", aid[:6], "--by", "x", "--role", "visitor", "--db", str(db)],
    )
    assert denied.exit_code == 1 and "may not" in denied.output
    ok = runner.invoke(
        gate_app,
        ["approvals", "approve", aid[:6], "--by", "olga", "--role", "operator", "--db", str(db)],
    )
    assert ok.exit_code == 0, ok.output
    done = Recorder()
    origins = Origins()
    origins.register("policy:cbm")
    con = connect(db)
    gate = Gate(plant, con, done, origins, default_level=AutonomyLevel.L2)
    gate.tick(T0 + 10)
    assert len(done.done) == 1 and gate.audit.verify().ok
    con.close()


def test_reject_and_unknown_ids(plant: Plant, tmp_path: Path) -> None:
    db, aid = pending_db(plant, tmp_path)
    assert (
        runner.invoke(
            gate_app,
            ["approvals", "reject", aid, "--by", "o", "--role", "operator", "--db", str(db)],
        ).exit_code
        == 0
    )
    again = runner.invoke(
        gate_app, ["approvals", "approve", aid, "--by", "o", "--role", "operator", "--db", str(db)]
    )
    assert again.exit_code == 1 and "rejected" in again.output
    missing = runner.invoke(
        gate_app,
        ["approvals", "approve", "zzz", "--by", "o", "--role", "operator", "--db", str(db)],
    )
    assert missing.exit_code == 2 and "no approval requests" in missing.output


def test_autonomy_set_show_and_kill(tmp_path: Path) -> None:
    db = str(tmp_path / "p.duckdb")
    base = ["--by", "erik", "--reason", "pilot", "--db", db]
    assert (
        runner.invoke(gate_app, ["autonomy", "set", "L3", "--role", "engineer", *base]).exit_code
        == 0
    )
    r = runner.invoke(
        gate_app,
        [
            "autonomy",
            "set",
            "L4",
            "--line",
            "line2",
            "--action",
            "start_maintenance",
            "--role",
            "engineer",
            *base,
        ],
    )
    assert r.exit_code == 0 and "line:line2/action:start_maintenance" in r.output
    assert (
        runner.invoke(gate_app, ["autonomy", "set", "L9", "--role", "engineer", *base]).exit_code
        == 2
    )
    assert (
        runner.invoke(gate_app, ["autonomy", "set", "L4", "--role", "operator", *base]).exit_code
        == 1
    )
    assert (
        runner.invoke(
            gate_app, ["autonomy", "set", "L2", "--action", "fly", "--role", "engineer", *base]
        ).exit_code
        == 2
    )
    shown = runner.invoke(gate_app, ["autonomy", "show", "--db", db])
    assert "L3" in shown.output and "KILL" not in shown.output
    assert runner.invoke(gate_app, ["kill", *base]).exit_code == 0
    assert "KILL SWITCH ON" in runner.invoke(gate_app, ["autonomy", "show", "--db", db]).output
    refused = runner.invoke(gate_app, ["kill", "--clear", *base])
    assert refused.exit_code == 1
    cleared = runner.invoke(gate_app, ["kill", "--clear", "--role", "engineer", *base])
    assert cleared.exit_code == 0
    assert "KILL" not in runner.invoke(gate_app, ["autonomy", "show", "--db", db]).output


def test_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    r = runner.invoke(gate_app, ["approvals", "list", "--db", str(tmp_path / "none.duckdb")])
    assert r.exit_code == 2 and "no plant database" in r.output
