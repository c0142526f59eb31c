"""Safety settings outlive restarts: a stored autonomy level and the kill switch win over the
start-up option, and `jayul serve` never deletes the database without a confirmed --fresh."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from jayul.autopilot.setup import assemble
from jayul.cli.main import app
from jayul.gate import AutonomyLevel
from jayul.gate.autonomy import AutonomyConfig
from jayul.govern.audit import AuditLog
from jayul.govern.db import connect
from jayul.plant.model import Plant
from jayul.records.events import ActionKind
from jayul.twin import Twin

T0 = 1_767_225_600_000_000_000


def _start(plant: Plant, db: Path, level: AutonomyLevel) -> AutonomyLevel:
    """What `jayul serve`/`demo` do at start-up; returns the plant level then in force."""
    assembly = assemble(plant, Twin(plant, seed=0), "condition", None, str(db), level)
    assert assembly.gate is not None
    gate = assembly.gate
    found = gate.autonomy.level_for(plant.lines[0], ActionKind.START_MAINTENANCE)
    gate.audit.close()
    gate.con.close()
    return found


def _as_cli(db: Path, fn: str, *args: object) -> None:
    con = connect(db)
    audit = AuditLog(con)
    getattr(AutonomyConfig(con, audit), fn)(*args)
    audit.close()
    con.close()


def test_autonomy_and_kill_switch_survive_a_restart(plant: Plant, tmp_path: Path) -> None:
    db = tmp_path / "plant.duckdb"
    assert _start(plant, db, AutonomyLevel.L2) is AutonomyLevel.L2
    _as_cli(db, "set_level", AutonomyLevel.L0, "erik", T0, "valve leaking")
    assert _start(plant, db, AutonomyLevel.L2) is AutonomyLevel.L0  # restart keeps L0
    _as_cli(db, "set_level", AutonomyLevel.L3, "erik", T0, "fixed")
    _as_cli(db, "kill", "olga", T0, "smoke")
    assert _start(plant, db, AutonomyLevel.L4) is AutonomyLevel.L0  # the kill stays on
    _as_cli(db, "clear_kill", "erik", "engineer", T0, "all clear")
    assert _start(plant, db, AutonomyLevel.L1) is AutonomyLevel.L3


def test_serve_keeps_the_database_unless_fresh_is_confirmed(tmp_path: Path) -> None:
    db = tmp_path / "console.duckdb"
    con = connect(db)
    log = AuditLog(con)
    log.append(T0, "ada", "user_added", "erik")
    log.close()
    con.close()
    size = db.stat().st_size
    runner = CliRunner()
    out = runner.invoke(app, ["serve", "--db", str(db), "--fresh"], input="n\n")
    assert out.exit_code != 0 and "not deleted" in out.output
    assert db.exists() and db.stat().st_size == size
