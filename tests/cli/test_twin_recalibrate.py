"""`jayul twin recalibrate`: a twin that still matches its plant and is not old is left as it
is (nothing written, nothing registered); one whose failure prediction drifted, or whose
schedule came, is calibrated again, the new file replaces the old, both versions are in the
model registry and the audit trail says why and which version follows which."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from tests.calibrate.conftest import SMALL, small_history
from typer.testing import CliRunner

from jayul.calibrate.plant_twin import PlantTwin
from jayul.cli.main import app
from jayul.govern.audit import AuditLog
from jayul.govern.db import connect
from jayul.govern.registry import Registry


def _invoke(*args: str) -> str:
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def test_recalibrates_when_due_and_registers_each_version(tmp_path: Path) -> None:
    plant_file, db = tmp_path / "small.yaml", tmp_path / "history.duckdb"
    plant_file.write_text(SMALL)
    small_history(str(db), days=60, seed=4)
    twin, gate_db = tmp_path / "twin.yaml", tmp_path / "gate.duckdb"
    common = ["--plant", str(plant_file), "--db", str(db)]
    _invoke("twin", "calibrate", *common, "--out", str(twin), "--holdout", "0")
    first = PlantTwin.load(twin)
    recal = ["twin", "recalibrate", *common, "--twin", str(twin), "--gate-db", str(gate_db)]
    recal += ["--holdout", "0.25", "--runs", "2"]

    # just calibrated on the whole history: it predicts it, and the schedule is not due
    out = _invoke(*recal, "--every-days", "365")
    assert "still matches" in out
    assert twin.read_bytes() == first.path.read_bytes() and not gate_db.exists()

    # the same file with the blade wearing four times slower: its failure prediction drifts
    data = yaml.safe_load(twin.read_text())
    for mode in data["plant"]["machine_types"]["saw"]["failure_modes"]:
        if mode["id"] == "blade":
            mode["wear_per_h"] /= 4
    twin.write_text(yaml.safe_dump(data, sort_keys=False))
    drifted = PlantTwin.load(twin)
    out = _invoke(*recal, "--every-days", "365")
    assert "drift:" in out and "recalibrated" in out
    fresh = PlantTwin.load(twin)
    assert fresh.sha256 != drifted.sha256
    blade = fresh.plant.machine_types["saw"].failure_modes[0]
    old_blade = drifted.plant.machine_types["saw"].failure_modes[0]
    assert (blade.wear_per_h or 0) > 2 * (old_blade.wear_per_h or 0)
    assert (fresh.calibration or {}).get("backtest") is not None

    con = connect(gate_db)
    try:
        audit = AuditLog(con)
        versions = [m for m in Registry(con, audit).models() if m.name == "twin:small"]
        assert [m.params["sha256"] for m in versions] == [drifted.sha256, fresh.sha256]
        assert versions[1].metrics["backtest_confidence"] >= 0.0
        done = audit.records(kind="twin_recalibrated")
        assert len(done) == 1 and done[0].reason.startswith("drift:")
        payload = json.loads(done[0].payload)
        assert payload["to"].startswith("twin:small@2 ")
        assert audit.verify().ok
    finally:
        con.close()

    # the new twin predicts its history again: not due, nothing written or registered
    out = _invoke(*recal, "--every-days", "365")
    assert "still matches" in out and PlantTwin.load(twin).sha256 == fresh.sha256

    # a schedule shorter than the history since its window's end: due (here: forced, since
    # the window ends at the history's last event)
    out = _invoke(*recal, "--every-days", "365", "--force")
    assert "recalibrated" in out


HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
sys.stdin.read()  # until the test closes our stdin
"""


def test_a_history_held_by_a_running_process_is_a_clear_error(tmp_path: Path) -> None:
    """`jayul run` holds its DuckDB files: recalibrating beside it says what to do, and
    nothing is written or registered."""
    import subprocess
    import sys

    plant_file, db = tmp_path / "small.yaml", tmp_path / "history.duckdb"
    plant_file.write_text(SMALL)
    small_history(str(db), days=30, seed=4)
    twin, gate_db = tmp_path / "twin.yaml", tmp_path / "gate.duckdb"
    common = ["--plant", str(plant_file), "--db", str(db)]
    _invoke("twin", "calibrate", *common, "--out", str(twin), "--holdout", "0")
    before = twin.read_bytes()
    recal = ["twin", "recalibrate", *common, "--twin", str(twin), "--gate-db", str(gate_db)]
    for held in (db, gate_db):
        if held == gate_db:
            connect(gate_db).close()  # an existing plant database, as `jayul run` keeps one
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(held)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            res = CliRunner().invoke(app, [*recal, "--force", "--runs", "2"])
        finally:
            holder.communicate("")
        assert res.exit_code == 2, res.output
        message = " ".join(res.output.split())
        assert f"held by another process (PID {holder.pid}" in message
        assert "Stop that process, recalibrate, then start `jayul run` again" in message
        assert "Traceback" not in res.output
        assert twin.read_bytes() == before
    con = connect(gate_db)
    try:
        assert not Registry(con, AuditLog(con)).models()
    finally:
        con.close()
