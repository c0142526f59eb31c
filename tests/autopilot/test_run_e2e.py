"""End to end against equipment jayul did not create: a vendor's OPC UA server (its own node
names, a maintenance method) and a publisher using `mosquitto_pub`; `jayul run --port` over a
plant file with state bindings. Healthy data, then a bearing going bad on pump1: an alert, a
maintenance proposal that no twin can verify (a real plant has no calibrated twin yet), so at
L3 it waits for a person; approved through the console's API, it runs as an OPC UA method call
on the vendor's server, the machine's state tag goes to maintenance, and every step is in the
audit trail and visible through the API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from vendor_server import VendorServer, free_port, pump_plant_file

from jayul.plant import load_demo_plant

PASSWORD = "e2e-admin-pw"


def publish(root: str, rows: list[dict[str, Any]]) -> None:
    """One machine batch on `<root>/pump1`, with the broker's own command-line client."""
    body = json.dumps({"samples": rows})
    subprocess.run(
        ["mosquitto_pub", "-h", "127.0.0.1", "-p", "1883", "-q", "1", "-t", f"{root}/pump1",
         "-s"],
        input=body.encode(),
        check=True,
        timeout=10,
    )  # fmt: skip


def pump_rows(t0: int, start: int, count: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """One-minute rows of pump1: healthy, then (from row 300) a bearing wearing out."""
    pump = load_demo_plant().machine_type("pump1")
    rows = []
    for k in range(start, start + count):
        for s in pump.signals:
            v = s.nominal + rng.normal(0, s.noise)
            drift = min(max(k - 300, 0) / 100, 1.0)
            v += {"vib_rms": 6.0, "bearing_temp": 14.0}.get(s.id, 0.0) * drift
            rows.append({"signal": s.id, "t": t0 + k * 60 * 10**9, "v": round(float(v), 4)})
    return rows


class Api:
    """A small JSON client of the console's API (urllib: nothing to install)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token = ""

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self.call("POST", path, body)


def wait_for(get: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = get()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError("timed out")


@dataclass
class JayulRun:
    """A `jayul run` started by `jayul_run`: its API, the admin's client, and what it printed
    (once it has stopped)."""

    base: str
    api: Api
    out: str = ""


@contextmanager
def jayul_run(args: list[str], password: str) -> Iterator[JayulRun]:
    """`jayul run ARGS --port P --admin-password PASSWORD` in its own process, up and with the
    admin logged in; on leaving it is stopped and must not have printed a traceback."""
    port = free_port()
    cmd = [
        sys.executable, "-c", "from jayul.cli.main import app; app()", "run", *args,
        "--port", str(port), "--admin-password", password,
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/api"
    run = JayulRun(base, Api(base))
    try:
        wait_for(lambda: _up(run.base), 90)  # a loaded machine starts slowly
        login = {"username": "admin", "password": password}
        run.api.token = run.api.post("/login", login)["token"]
        yield run
    finally:
        proc.terminate()
        run.out = proc.communicate(timeout=30)[0].decode()
    assert "Traceback" not in run.out, run.out


def assert_audit_trail(api: Api, steps: tuple[str, ...]) -> list[dict[str, Any]]:
    """The audit trail holds each of `steps` and its hash chain verifies; its records."""
    records: list[dict[str, Any]] = api.get("/audit")["records"]
    kinds = [r["kind"] for r in records]
    for step in steps:
        assert step in kinds, f"{step} missing from the audit trail: {kinds}"
    assert api.get("/audit/verify")["ok"]
    return records


@pytest.mark.skipif(shutil.which("mosquitto_pub") is None, reason="needs mosquitto-clients")
def test_jayul_run_end_to_end(tmp_path: Path) -> None:
    server = VendorServer(["Pump-1"]).start()
    root = f"e2e-{uuid.uuid4().hex[:8]}"
    server.set("Pump-1", "OperatingHours", 5321.0)
    plant_file = pump_plant_file(tmp_path, server, root)
    args = [
        "--plant", str(plant_file), "--autonomy", "L3", "--fit-h", "2", "--tick-s", "0.3",
        "--seconds", "180", "--clear-h", "12",
    ]  # fmt: skip
    with server, jayul_run(args, PASSWORD) as run:
        api = run.api
        machines = {m["id"]: m for m in api.get("/machines")}
        assert machines["pump1"]["status"] == "running"  # read from the vendor's tag
        assert machines["press1"]["status"] == "unknown"  # not bound: said, not invented
        rng = np.random.default_rng(0)
        t0 = time.time_ns() - 10 * 3600 * 10**9
        for start in range(0, 600, 100):  # 10 h of one-minute rows, 6 messages
            publish(root, pump_rows(t0, start, 100, rng))
        pending = wait_for(lambda: api.get("/approvals"), 20)
        item = pending[0]
        assert item["action"]["machine"] == "pump1"
        assert "no calibrated twin" in item["reason"]  # L3, unverified: a person decides
        alerts = api.get("/alerts")
        assert any(a["machine"] == "pump1" for a in alerts)
        # an admin manages users; an operator approves
        api.post("/users", {"name": "olga", "role": "operator", "password": PASSWORD})
        olga = Api(run.base)
        olga.token = olga.post("/login", {"username": "olga", "password": PASSWORD})["token"]
        done = olga.post(f"/approvals/{item['id']}/approve", {"note": "seen the alert"})
        assert done["status"] == "executed", done
        assert server.calls and server.calls[0][0] == "Pump-1"  # the OPC UA method call
        wait_for(
            lambda: {m["id"]: m for m in api.get("/machines")}["pump1"]["status"] == "maintenance",
            10,
        )
        assert_audit_trail(api, ("alert", "not_verified", "action_pending", "action_executed"))
        # the decision is in the plant's history too, where the exports read
        exported = urllib.request.Request(
            f"{run.base}/export/events?kind=approval&start_ns=0",
            headers={"Authorization": f"Bearer {api.token}"},
        )
        with urllib.request.urlopen(exported, timeout=10) as resp:
            assert "approved by olga (operator)" in resp.read().decode()
    assert "no machine state bound for press1" in run.out
    assert "cleared after 12 h below (--clear-h)" in run.out
    # after the run, `jayul query events --plant FILE` shows who approved what
    query = subprocess.run(
        [sys.executable, "-c", "from jayul.cli.main import app; app()", "query", "events",
         "--plant", str(plant_file), "--kind", "approval", "--start", "2000-01-01"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert query.returncode == 0, query.stderr
    assert "approved by olga (operator)" in query.stdout, query.stdout


def _up(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=1) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False
