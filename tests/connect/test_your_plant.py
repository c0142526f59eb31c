"""The README's "Your plant", command by command, from an empty directory: an independent
OPC UA server with its own node names and units, a gateway publishing flat JSON with
millisecond timestamps through mosquitto_pub, and 30 days of history with a fault in it."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from jayul.cli.main import app

sys.path.insert(0, str(Path(__file__).parent))  # the PLC server beside this file
from plc_server import PlcServer

runner = CliRunner()
FAULT_DAY = 20


def history_csv(path: Path) -> None:
    """30 days of Pump_101 every 10 minutes under the plant's own names; from day 20 its
    bearing wears (vibration and bearing temperature rise, off the load pattern)."""
    n = 30 * 24 * 6
    rng = np.random.default_rng(3)
    h = np.arange(n) / 6
    load = 0.6 + 0.3 * np.sin(2 * np.pi * h / 24) + rng.normal(0, 0.02, n)
    wear = np.clip((h - FAULT_DAY * 24) / 24, 0, 3)
    frame = pd.DataFrame(
        {
            "time": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(h, unit="h"),
            "ft101": 42 + 30 * (load - 0.6) + rng.normal(0, 0.4, n),
            "pt101": 6 + 4 * (load - 0.6) + rng.normal(0, 0.06, n),
            "vib": 2.2 + 1.2 * (load - 0.6) + rng.normal(0, 0.02, n) + 3.0 * wear,
            "tb": 55 + 15 * (load - 0.6) + rng.normal(0, 0.5, n) + 12.0 * wear,
        }
    )
    frame.to_csv(path, index=False)


def test_your_plant_from_an_empty_directory(
    broker: int, tag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JAYUL_DB", raising=False)
    history_csv(tmp_path / "history.csv")
    plc = PlcServer().start()
    stop = threading.Event()

    def gateway() -> None:  # the gateway's own JSON: flat, millisecond timestamps
        while not stop.is_set():
            body = json.dumps({"ts": int(time.time() * 1000), "vib": 2.3, "tb": 56.0})
            subprocess.run(
                [
                    "mosquitto_pub",
                    "-p",
                    str(broker),
                    "-q",
                    "1",
                    "-t",
                    f"factory-{tag}/gw/pump_101",
                    "-m",
                    body,
                ],
                check=False,
            )
            time.sleep(0.3)

    publisher = threading.Thread(target=gateway, daemon=True)
    publisher.start()
    try:
        # 1. discover the PLC and the gateway into one plant file
        r = runner.invoke(
            app,
            [
                "connect",
                "discover",
                plc.endpoint,
                f"mqtt://127.0.0.1:{broker}",
                "--topic",
                f"factory-{tag}/#",
                "--seconds",
                "3",
                "--name",
                f"plant-{tag}",
            ],
        )
        assert r.exit_code == 0, r.output
        assert Path("plant.yaml").exists()
        # 2. import the history: the fault is alerted at its own time
        r = runner.invoke(
            app,
            ["import", "samples", "history.csv", "--plant", "plant.yaml", "--machine", "pump_101"],
        )
        assert r.exit_code == 0, r.output
        assert "1 alert(s)" in r.output, r.output
        alert_day = int(r.output.split("2026-01-")[-1][:2])
        assert FAULT_DAY + 1 <= alert_day <= FAULT_DAY + 2, r.output  # day 20 is Jan 21
        # 3. run: live samples from the PLC and the gateway
        r = runner.invoke(app, ["run", "--plant", "plant.yaml", "--seconds", "8", "--ingest-only"])
        assert r.exit_code == 0, r.output
    finally:
        stop.set()
        publisher.join()
        plc.stop()
    # 4. the alerts, from the default database in this directory
    r = runner.invoke(app, ["query", "events", "--kind", "alert"])
    assert r.exit_code == 0, r.output
    assert "pump_101" in r.output and "vib" in r.output
    # 5. the live samples of both sources (the PLC's values are written once, at its start)
    today = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT00:00")
    for signal in ("ft101", "pt101", "vib", "tb"):
        r = runner.invoke(
            app,
            ["query", "samples", "--machine", "pump_101", "--signal", signal, "--start", today],
        )
        assert r.exit_code == 0, r.output
        assert f"│ {signal}" in r.output, r.output
