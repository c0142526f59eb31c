"""`jayul run --port --twin CALIBRATED.yaml` end to end, against a vendor's OPC UA server and a
publisher using `mosquitto_pub`:

- the twin comes from `jayul twin calibrate` on the plant's own history; `jayul run` registers
  it in the model registry and, with no recent history to judge it on, says that its schedule
  makes a recalibration due;
- an event posted to `POST /api/events` reaches the running loop: at its next tick the machine
  shows the restored mode's run hours from the counter (the loop saw the maintenance end), the
  event is in the historian and the post is in the audit trail;
- a blade wearing on saw1 raises an alert, the condition policy proposes a blade change, the
  verifier tries it on the calibrated twin (not `not_verified`), the verdict names the twin's
  version, and at L3 the gate carries it out through the OPC UA method on the vendor's server.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

from test_run_e2e import PASSWORD, assert_audit_trail, jayul_run, wait_for
from tests.calibrate.conftest import SMALL, small_history
from vendor_server import SINCE_MAINTENANCE, VendorServer, bound_run_file

from jayul.calibrate.plantfile import read_calibration
from jayul.cli.main import app

TEN_MIN_NS = 600 * 10**9


def publish(root: str, machine: str, rows: list[dict[str, Any]]) -> None:
    """One machine batch, with the broker's own command-line client."""
    subprocess.run(
        ["mosquitto_pub", "-h", "127.0.0.1", "-p", "1883", "-q", "1", "-t", f"{root}/{machine}",
         "-s"],
        input=json.dumps({"samples": rows}).encode(),
        check=True,
        timeout=10,
    )  # fmt: skip


def calibrated_twin(tmp_path: Path) -> Path:
    """Sixty days of the small plant's history (signals, maintenance log, operations), and
    `jayul twin calibrate` on it."""
    plant_file = tmp_path / "small.yaml"
    plant_file.write_text(SMALL)
    db = tmp_path / "history.duckdb"
    small_history(str(db), days=60, seed=5)
    out = tmp_path / "calibrated.yaml"
    args = ["twin", "calibrate", "--plant", str(plant_file), "--db", str(db), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--runs", "3"])
    assert result.exit_code == 0, result.output
    return out


def run_file(tmp_path: Path, server: VendorServer, root: str) -> Path:
    """The small plant bound to `server`: saw1 (its run hours since its last maintenance) and
    saw2."""
    saws = ("saw1", "Saw-1", SINCE_MAINTENANCE), ("saw2", "Saw-2", "")
    return bound_run_file(
        tmp_path / "run.yaml", "run.duckdb", server, root, tmp_path / "small.yaml", *saws
    )


def saw_rows(t0: int, start: int, count: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Ten-minute rows of saw1: healthy, then (from row 400) its blade wearing out."""
    rows = []
    for k in range(start, start + count):
        wear = min(max(k - 400, 0) / 60, 1.0)
        t = t0 + k * TEN_MIN_NS
        vib = 3.0 + rng.normal(0, 0.1) + 3.0 * wear
        temp = 50.0 + rng.normal(0, 0.5)
        rows += [{"signal": "vib", "t": t, "v": round(vib, 4)}]
        rows += [{"signal": "temp", "t": t, "v": round(temp, 4)}]
    return rows


@pytest.mark.skipif(shutil.which("mosquitto_pub") is None, reason="needs mosquitto-clients")
def test_run_verifies_on_the_calibrated_twin_and_takes_posted_events(tmp_path: Path) -> None:
    twin_file = calibrated_twin(tmp_path)
    backtest = (read_calibration(twin_file) or {})["backtest"]
    assert backtest["verdict"] == "passes", backtest  # so the gate may trust its verdicts
    version = "sha256:" + hashlib.sha256(twin_file.read_bytes()).hexdigest()[:12]
    server = VendorServer(["Saw-1", "Saw-2"]).start()
    server.set("Saw-1", "OperatingHours", 90.0)  # since the last blade change: worn
    server.set("Saw-2", "OperatingHours", 1234.0)  # since commissioning
    root = f"twin-{uuid.uuid4().hex[:8]}"
    args = [
        "--plant", str(run_file(tmp_path, server, root)),
        "--twin", str(twin_file), "--policy", "condition", "--autonomy", "L3",
        "--fit-h", "30", "--tick-s", "0.3", "--seconds", "180",
    ]  # fmt: skip
    with server, jayul_run(args, PASSWORD) as run:
        api = run.api

        def saw2() -> dict[str, Any]:
            return {m["id"]: m for m in api.get("/machines")}["saw2"]

        devices = api.get("/devices")  # the input watch runs under the console too
        assert devices["watch"]["stopping"] is None, devices
        assert api.get("/health")["inputs_ok"] is not None
        # an event posted through the API reaches the running loop
        assert saw2()["run_hours_since"] == {}  # no maintenance seen yet: no run hours
        now = datetime.now(UTC).isoformat()
        posted = {"time": now, "machine": "saw2", "kind": "maintenance_end",
                  "action": "blade_change", "id": "WO-7"}  # fmt: skip
        api.post("/events", posted)
        wait_for(lambda: saw2()["run_hours_since"] == {"blade": 0.0}, 20)
        stored = wait_for(lambda: api.get("/events?kind=maintenance_end&machine=saw2"), 20)
        assert stored[0]["payload"]["external_id"] == "WO-7"
        assert stored[0]["payload"]["source"] == "api"
        # a blade wearing out: verified on the calibrated twin, carried out at L3
        rng = np.random.default_rng(0)
        t0 = time.time_ns() - 500 * TEN_MIN_NS
        for start in range(0, 500, 100):
            publish(root, "saw1", saw_rows(t0, start, 100, rng))
        wait_for(lambda: server.calls, 60)
        assert server.calls[0][0] == "Saw-1"
        steps = ("event_recorded", "model_registered", "recalibration_due", "alert", "verdict")
        records = assert_audit_trail(api, (*steps, "action_executed"))
        assert "not_verified" not in [r["kind"] for r in records]
        verdict = next(r for r in records if r["kind"] == "verdict")
        assert version in verdict["payload"]["twin_version"]
        assert verdict["payload"]["twin_trusted"] and verdict["payload"]["accept"]
    assert "verifying on the calibrated twin calibrated.yaml" in run.out
