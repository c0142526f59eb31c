"""`jayul approvals approve|reject` record the decision as an `approval` event in the plant's
historian, as the console and the API do; a historian held by another process is said so, and
the decision still stands in the gate database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gate_helpers import T0, Recorder, maintenance, verified
from typer.testing import CliRunner

from jayul.cli.gate_cmds import console, gate_app
from jayul.connect.bindings import load_bindings
from jayul.gate import AutonomyLevel, Gate, Origins
from jayul.gate.approvals import ApprovalQueue
from jayul.govern.audit import AuditLog
from jayul.govern.db import connect
from jayul.historian.open import open_historian
from jayul.plant import demo_plant_path
from jayul.plant.model import Plant
from jayul.records import Event, EventKind
from jayul.server.users import UserStore

runner = CliRunner()
console.width = 250
PASSWORD = "olga-pass-1"


def pending_request(plant: Plant, db: Path, machine: str = "pump1", user: bool = True) -> str:
    """A maintenance request waiting in the gate database `db`, and olga (operator) as a user."""
    con = connect(db)
    origins = Origins()
    origins.register("policy:cbm")
    gate = Gate(plant, con, Recorder(), origins, default_level=AutonomyLevel.L2)
    out = gate.propose(maintenance(machine=machine), verified(), T0)
    if user:
        UserStore(con, gate.audit).add("olga", "operator", PASSWORD, by="test")
    gate.audit.close()
    con.close()
    assert out.approval_id is not None, out
    return out.approval_id


def olga(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(gate_app, [*args, "--user", "olga"], env={"JAYUL_PASSWORD": PASSWORD})


def approval_events(url: str) -> list[Event]:
    historian = open_historian(url)
    try:
        return historian.query_events(kinds=[EventKind.APPROVAL])
    finally:
        historian.close()


def test_decisions_with_db_are_historian_events(plant: Plant, tmp_path: Path) -> None:
    db = tmp_path / "plant.duckdb"  # the gate's tables and the historian in one file
    approved = pending_request(plant, db)
    ok = olga("approvals", "approve", approved[:8], "--note", "crew is free", "--db", str(db))
    assert ok.exit_code == 0, ok.output
    assert "as an `approval` event" in ok.output
    rejected = pending_request(plant, db, "pump2", user=False)
    no = olga("approvals", "reject", rejected, "--note", "not this week", "--db", str(db))
    assert no.exit_code == 0, no.output

    found = {e.payload["approval"]: e for e in approval_events(str(db))}
    yes_event, no_event = found[approved], found[rejected]
    assert yes_event.machine == "pump1" and yes_event.payload["decision"] == "approved"
    assert yes_event.payload["by"] == "olga" and yes_event.payload["role"] == "operator"
    assert yes_event.payload["note"] == "crew is free"
    assert yes_event.payload["outcome"] is None  # the gate runs it at its next tick
    assert no_event.machine == "pump2" and no_event.payload["decision"] == "rejected"
    assert "rejected by olga (operator)" in no_event.payload["reason"]


def run_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    path = site / "plant.yaml"
    path.write_text(
        f"plant_file: {demo_plant_path()}\nconnect:\n  buffer: run-buffer\n"
        "  historian: duckdb:///history.duckdb\n  sources:\n    - {kind: mqtt, port: 1883}\n"
    )
    return path


def test_with_plant_the_event_goes_to_its_historian(plant: Plant, tmp_path: Path) -> None:
    f = run_site(tmp_path)
    bindings = load_bindings(f)
    gate_db = bindings.gate_db()
    gate_db.parent.mkdir(parents=True)
    aid = pending_request(plant, gate_db)
    history = f.parent / "history.duckdb"
    open_historian(str(history)).close()  # what `jayul run --plant` made
    ok = olga("approvals", "approve", aid, "--plant", str(f))
    assert ok.exit_code == 0, ok.output
    events = approval_events(str(history))
    assert [e.payload["approval"] for e in events] == [aid]
    assert not approval_events(str(gate_db))  # the gate database keeps the decision itself


def test_historian_held_by_a_running_process(plant: Plant, tmp_path: Path) -> None:
    f = run_site(tmp_path)
    gate_db = load_bindings(f).gate_db()
    gate_db.parent.mkdir(parents=True)
    aid = pending_request(plant, gate_db)
    history = f.parent / "history.duckdb"
    open_historian(str(history)).close()
    # another process writes the historian (as `jayul run` does) until its stdin closes
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(history),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        out = olga("approvals", "reject", aid, "--note", "later", "--plant", str(f))
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert out.exit_code == 0, out.output
    assert f"held by another process (PID {holder.pid}" in out.output
    assert "stored in the gate database" in out.output
    # nothing lost: the decision stands in the gate database and its audit trail
    con = connect(gate_db)
    audit = AuditLog(con)
    assert ApprovalQueue(con, audit).get(aid).status == "rejected"
    assert audit.records(kind="approval_rejected")[-1].actor == "olga"
    audit.close()
    con.close()
    assert not approval_events(str(history))


def test_no_historian_yet_is_said(plant: Plant, tmp_path: Path) -> None:
    f = run_site(tmp_path)
    gate_db = load_bindings(f).gate_db()
    gate_db.parent.mkdir(parents=True)
    aid = pending_request(plant, gate_db)
    out = olga("approvals", "approve", aid, "--plant", str(f))
    assert out.exit_code == 0, out.output
    assert "no historian at" in out.output and "stored in the gate database" in out.output
    assert not (f.parent / "history.duckdb").exists()
