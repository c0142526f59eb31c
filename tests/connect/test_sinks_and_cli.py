"""The MQTT command sink, the source-driven pilot, and `jayul twin serve` as a process."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from asyncua.client.client import Client
from paho.mqtt.enums import CallbackAPIVersion

from jayul.autopilot import Autopilot
from jayul.autopilot.monitor import HealthMonitor
from jayul.connect.bindings import Bindings, Connect
from jayul.connect.equipment import ConnectedPlant
from jayul.connect.opcua_common import namespace_uri, node_id
from jayul.connect.sinks import MqttCommandSink
from jayul.decide.named import make_policy
from jayul.plant import Plant
from jayul.records import Action, ActionKind, Samples
from jayul.records.timebase import NS_PER_H


def test_mqtt_command_sink_publishes_json(broker: int, tag: str) -> None:
    got: list[bytes] = []
    arrived = threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2)

    def on_message(_c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        got.append(msg.payload)
        arrived.set()

    sub.on_message = on_message
    sub.connect("127.0.0.1", broker)
    sub.subscribe(f"cmd/{tag}/#", qos=1)
    sub.loop_start()
    time.sleep(0.3)
    sink = MqttCommandSink("127.0.0.1", broker, f"cmd/{tag}")
    action = Action(
        time=1,
        machine="pump1",
        kind=ActionKind.START_MAINTENANCE,
        params={"action": "overhaul"},
        origin="test",
    )
    assert sink.execute(action) is True
    assert arrived.wait(5)
    body = json.loads(got[0])
    assert body["action"] == "start_maintenance" and body["params"] == {"action": "overhaul"}
    sink.close()
    sub.loop_stop()


class Recorder:
    def __init__(self) -> None:
        self.actions: list[Action] = []

    def execute(self, action: Action) -> bool:
        self.actions.append(action)
        return True


def test_autopilot_on_connected_equipment_alerts_and_acts_once(plant: Plant) -> None:
    """Healthy data to learn from, then a bearing going bad on pump1: one alert, one action,
    through the one autopilot over connected equipment (no state bound: taken as running)."""
    rng = np.random.default_rng(0)
    pump = plant.machine_type("pump1")
    names = [s.id for s in pump.signals]
    nominal = np.array([s.nominal for s in pump.signals])
    noise = np.array([s.noise for s in pump.signals])
    recorder = Recorder()
    equipment = ConnectedPlant(Bindings(plant, Connect(), Path("plant.yaml")), [recorder])
    pilot = Autopilot(
        equipment, make_policy("condition", plant), monitor=HealthMonitor(plant, fit_h=2.0)
    )
    period = 60 * 10**9
    t0 = time.time_ns() - 10 * NS_PER_H
    for k in range(600):  # 10 h of one-minute rows
        level = nominal.copy()
        if k > 300:
            drift = min((k - 300) / 100, 1.0)
            level[names.index("vib_rms")] += 6.0 * drift
            level[names.index("bearing_temp")] += 14.0 * drift
        values = level + rng.normal(0, noise)
        batch = Samples.build(np.full(len(names), t0 + k * period), "pump1", names, values)
        equipment.on_stored(batch)
        if k % 30 == 29:
            pilot.tick()
    assert pilot.counters.alerts >= 1
    assert any("machine state not known" in n for n in pilot.notices)  # said, once per machine
    assert len([n for n in pilot.notices if n.startswith("pump1:")]) == 1
    assert len(recorder.actions) == 1  # remembered as pending: not proposed again each tick
    assert recorder.actions[0].machine == "pump1"
    assert recorder.actions[0].params["action"] in ("bearing_service", "overhaul")
    assert equipment.machines()["pump1"].run_hours_since == {}  # no counter: none invented


def test_twin_serve_command(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    jayul = [sys.executable, "-c", "from jayul.cli.main import app; app()"]
    demo = Path(__file__).resolve().parents[2] / "examples" / "plants" / "demo-opcua.yaml"
    proc = subprocess.Popen(
        [*jayul, "twin", "serve", "--plant", str(demo), "--port", str(port), "--seconds", "20"],
        cwd=tmp_path,  # the gate's database (twin-server.duckdb) goes here
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )

    async def read() -> float:
        for _ in range(100):
            try:
                async with Client(f"opc.tcp://127.0.0.1:{port}") as c:
                    ns = await c.get_namespace_index(namespace_uri("demo"))
                    return float(await c.get_node(node_id("cnc1.spindle_load", ns)).read_value())
            except (OSError, TimeoutError):
                await asyncio.sleep(0.2)
        raise AssertionError("the server did not come up")

    try:
        assert asyncio.run(read()) > 0
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert b"serving twin" in out


def test_twin_serve_bad_plant_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("plant: {name: x}\n")
    jayul = [sys.executable, "-c", "from jayul.cli.main import app; app()"]
    result = subprocess.run(
        [*jayul, "twin", "serve", "--plant", str(bad)], capture_output=True, timeout=60
    )
    assert result.returncode == 2
    assert str(bad).encode() in result.stderr and b"Traceback" not in result.stderr


@pytest.mark.parametrize("missing", ["sources"])
def test_run_needs_sources(tmp_path: Path, missing: str) -> None:
    from jayul.plant import demo_plant_path

    p = tmp_path / "p.yaml"
    p.write_text(f"plant_file: {demo_plant_path()}\nconnect: {{}}\n")
    jayul = [sys.executable, "-c", "from jayul.cli.main import app; app()"]
    result = subprocess.run([*jayul, "run", "--plant", str(p)], capture_output=True, timeout=60)
    assert result.returncode == 2 and missing.encode() in result.stderr
