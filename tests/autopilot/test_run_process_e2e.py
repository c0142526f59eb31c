"""`jayul run` on a continuous process over OPC UA: a control system's server (its own node
names) publishes the Tennessee Eastman process's 41 measurements, driven by the process twin in
this test, and holds the control loops' targets as writable nodes. jayul monitors the process
from the plant file that binds them: the A feed is lost (IDV 6), an alert on the feed names
the A feed flow falling. The setpoint walk proposes the reactor pressure's first step toward
its target; at L2 it waits for a person; an engineer approves it through the API and jayul
writes it to the control system's node, which the process then follows."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from dcs_server import DcsServer, tep_plant_file
from test_run_e2e import Api, assert_audit_trail, jayul_run, wait_for

PASSWORD = "e2e-process-pw"
PRESSURE = ("reactor", "reactor_pressure")


def test_jayul_run_on_a_process_over_opc_ua(tmp_path: Path) -> None:
    server = DcsServer(time_ns_hours_ago(6.0)).start()
    targets = tmp_path / "targets.json"
    targets.write_text(json.dumps({"targets": {"reactor.reactor_pressure": 2755.0}}))
    args = [
        "--plant", str(tep_plant_file(tmp_path, server)),
        "--autonomy", "L2", "--fit-h", "2.5", "--tick-s", "0.3", "--seconds", "240",
        "--setpoint-targets", str(targets),
    ]  # fmt: skip
    with server, jayul_run(args, PASSWORD) as run:
        api = run.api
        for _ in range(6):  # 3 h of normal operation: the monitor learns the process
            server.step(0.5)
        server.twin.set_disturbance(6)  # the A feed is lost
        alert = None
        for _ in range(8):
            server.step(0.25)
            alert = next((a for a in api.get("/alerts") if a["machine"] == "feed"), None)
            if alert is not None:
                break
        alert = alert or wait_for(
            lambda: next((a for a in api.get("/alerts") if a["machine"] == "feed"), None), 20
        )
        drove = {c["signal"]: c["direction"] for c in alert["contributions"]}
        assert drove.get("feed_A_flow") == -1, alert  # the diagnosis: the A feed, falling
        assert "feed_A_flow -" in alert["reason"]
        # the walk's first step toward 2,755 kPa: one envelope's largest step (25 kPa)
        item = wait_for(lambda: api.get("/approvals"), 20)[0]
        assert item["action"]["kind"] == "change_setpoint", item
        assert item["action"]["params"]["value"] == 2730.0
        assert server.setpoint(PRESSURE) == 2705.0  # nothing reached the process yet
        api.post("/users", {"name": "erin", "role": "engineer", "password": PASSWORD})
        erin = Api(run.base)
        erin.token = erin.post("/login", {"username": "erin", "password": PASSWORD})["token"]
        done = erin.post(f"/approvals/{item['id']}/approve", {"note": "seen the forecast"})
        assert done["status"] == "executed", done
        assert server.setpoint(PRESSURE) == 2730.0  # written through OPC UA
        server.step(0.1)
        assert server.twin.setpoints("reactor")["reactor_pressure"] == 2730.0
        assert_audit_trail(api, ("alert", "not_verified", "action_pending", "action_executed"))


def time_ns_hours_ago(hours: float) -> int:
    return time.time_ns() - round(hours * 3600e9)
