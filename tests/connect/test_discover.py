"""Discovery: an independent OPC UA server's nested object tree, and an MQTT feed, drafted
into plant files that load and bind what was found."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from typer.testing import CliRunner

from jayul.cli.main import app
from jayul.connect.bindings import MqttSource, OpcUaSource, load_bindings
from jayul.connect.discover_mqtt import propose

sys.path.insert(0, str(Path(__file__).parent))  # the PLC server beside this file
from plc_server import PlcServer, free_port

runner = CliRunner()


def test_opcua_nested_tree_becomes_a_plant_draft(tmp_path: Path) -> None:
    plc = PlcServer().start()
    try:
        out = tmp_path / "plant.yaml"
        result = runner.invoke(
            app, ["connect", "discover", plc.endpoint, "--out", str(out), "--name", "Example"]
        )
        assert result.exit_code == 0, result.output
        assert ": 2 machines, 4 signals" in result.output
        b = load_bindings(out)
    finally:
        plc.stop()
    assert [(m.id, m.line) for m in b.plant.machines] == [
        ("pump_101", "line_a"),
        ("press_7", "line_a"),
    ]
    pump = {s.id: s for s in b.plant.machine_type("pump_101").signals}
    assert (pump["ft101"].unit, pump["ft101"].low, pump["ft101"].high) == ("m3/h", 0, 100)
    press = {s.id: s for s in b.plant.machine_type("press_7").signals}
    assert press["hydraulics_pt7"].unit == "bar"  # nested object folded in, prefixed
    assert "TODO: the sensor's valid range" in out.read_text()  # Cycle has no EURange
    src = b.connect.sources[0]
    assert isinstance(src, OpcUaSource) and src.nodes is not None
    bound = {(n.machine, n.signal): n.node_id for n in src.nodes}
    assert bound[("press_7", "hydraulics_pt7")] == plc.node_ids["PT7"]
    assert len(bound) == 4
    again = runner.invoke(app, ["connect", "discover", plc.endpoint, "--out", str(out)])
    assert again.exit_code == 2 and "exists" in again.output  # never overwritten silently


def test_mqtt_styles_are_proposed_as_mappings() -> None:
    seen = {
        "f/gw/pump1": [json.dumps({"ts": 1767225600000, "flow": 41.0, "pressure": 6.1}).encode()],
        "f/gw/pump2": [json.dumps({"ts": 1767225600000, "flow": 40.0}).encode()],
        "f/kep/press1": [
            json.dumps(
                {"timestamp": 1767225600, "values": [{"id": "force", "v": 800, "t": 1767225600000}]}
            ).encode()
        ],
        "f/raw/cnc1/spindle_load": [b"55.5"],
        "f/raw/cnc1/acoustic": [b"77"],
        "f/junk": [b"not json"],
    }
    machines, mappings, skipped = propose(seen, "f")
    assert {"topic": "gw/{machine}", "flat": True, "time": "ts", "time_unit": "ms"} in mappings
    assert {
        "topic": "kep/{machine}",
        "records": "values",
        "signal": "id",
        "value": "v",
        "time": "t",
        "time_unit": "ms",
    } in mappings
    assert {"topic": "raw/{machine}/{signal}"} in mappings
    assert skipped == ["f/junk"]
    signals = {m.id: sorted(s.id for s in m.signals) for m in machines}
    assert signals == {
        "pump1": ["flow", "pressure"],
        "pump2": ["flow"],
        "press1": ["force"],
        "cnc1": ["acoustic", "spindle_load"],
    }


def test_mqtt_discover_listens_to_the_broker(broker: int, tag: str, tmp_path: Path) -> None:
    root = f"disc/{tag}"
    stop = threading.Event()

    def publish() -> None:
        while not stop.is_set():
            body = json.dumps({"ts": int(time.time() * 1000), "flow": 41.0, "pressure": 6.0})
            subprocess.run(
                ["mosquitto_pub", "-p", str(broker), "-t", f"{root}/gw/pump1", "-m", body],
                check=False,
            )
            time.sleep(0.2)

    thread = threading.Thread(target=publish, daemon=True)
    thread.start()
    out = tmp_path / "plant.yaml"
    try:
        result = runner.invoke(
            app,
            [
                "connect",
                "discover",
                f"mqtt://127.0.0.1:{broker}",
                "--topic",
                f"{root}/#",
                "--seconds",
                "2",
                "--out",
                str(out),
            ],
        )
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    b = load_bindings(out)
    src = b.connect.sources[0]
    assert isinstance(src, MqttSource) and src.topic_root == root and src.mappings
    assert src.mappings[0].topic == "gw/{machine}" and src.mappings[0].time_unit == "ms"
    assert [s.id for s in b.plant.machine_type("pump1").signals] == ["flow", "pressure"]


def test_modbus_register_map_becomes_a_plant_draft(tmp_path: Path) -> None:
    csv_path = tmp_path / "map.csv"
    csv_path.write_text(
        "Machine,Signal,Address,Type,Scale,Unit,Low,High\n"
        "pump1,flow,0,int16,0.01,m3/h,0,80\n"
        "pump1,pressure,1,float32,1,bar,0,12\n"
        "press1,force,10,uint16,0.1,kN,,\n"
    )
    out = tmp_path / "plant.yaml"
    result = runner.invoke(
        app, ["connect", "modbus-map", str(csv_path), "--port", "5020", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    b = load_bindings(out)
    src = b.connect.sources[0]
    assert src.kind == "modbus" and src.port == 5020  # type: ignore[union-attr]
    regs = [(r.machine, r.signal, r.address, r.type, r.scale) for r in src.registers]  # type: ignore[union-attr]
    assert regs == [
        ("pump1", "flow", 0, "int16", 0.01),
        ("pump1", "pressure", 1, "float32", 1.0),
        ("press1", "force", 10, "uint16", 0.1),
    ]
    flow = b.plant.machine_type("pump1").signals[0]
    assert (flow.unit, flow.low, flow.high) == ("m3/h", 0, 80)
    csv_path.write_text("machine,signal,address,type\npump1,flow,0,int12\n")
    result = runner.invoke(
        app, ["connect", "modbus-map", str(csv_path), "--out", str(tmp_path / "b.yaml")]
    )
    assert result.exit_code == 2 and "row 2: column type:" in result.output


def test_a_draft_holds_only_what_the_plant_showed(tmp_path: Path) -> None:
    """No invented simulation parameters (nominal, noise, orders, crews, costs); a status code
    and an hour counter become the machine's state and run-hour bindings, not signals."""
    from jayul.connect.discover_opcua import FoundMachine, FoundSignal, opcua_parts
    from jayul.connect.plant_draft import draft_yaml

    def found(name: str, value: float, unit: str | None = None) -> FoundSignal:
        return FoundSignal(name, f"ns=2;s=E1.{name}", "Double", unit, None, None, 1.0, value)

    e1 = FoundMachine(
        "e1",
        "line_a",
        "Hall/LineA/E1",
        [found("melt_temp", 210.0, "degC"), found("plc_status", 100), found("hoursrun", 5200)],
    )
    drafts, source = opcua_parts("opc.tcp://plc:4840", [e1])
    text = draft_yaml("Hall", drafts, ["  sources:", *source])
    for invented in ("nominal", "noise", "orders", "crews", "downtime_cost", "operations"):
        assert invented not in text
    out = tmp_path / "plant.yaml"
    out.write_text(text)
    b = load_bindings(out)
    assert [s.id for s in b.plant.machine_type("e1").signals] == ["melt_temp"]
    assert b.plant.machine_type("e1").signals[0].low is None  # no range given: none invented
    (binding,) = b.connect.machines
    assert binding.state is not None and binding.state.tag.node_id == "ns=2;s=E1.plc_status"
    assert binding.run_hours is not None and binding.run_hours.tag.node_id == "ns=2;s=E1.hoursrun"
    assert "last read '100'" in text  # to help fill in the code map


def test_mqtt_text_fields_are_ignored_a_status_is_the_state_and_periods_are_measured() -> None:
    body = {"ts": 1767225600000, "TSupply": 7.1, "status": "RUN", "site": "hall3"}
    seen = {"gw/chiller/ch1": [json.dumps(body).encode()]}
    machines, mappings, _ = propose(seen, "gw", {"gw/chiller/ch1": 5.0})
    assert mappings[0]["ignore"] == ["site", "status"]  # else a dead letter per message
    (ch1,) = machines
    assert [(s.id, s.period_s) for s in ch1.signals] == [("TSupply", 5.0)]
    assert ch1.state is not None
    assert ch1.state.tag == {"kind": "mqtt", "topic": "gw/chiller/ch1", "field": "status"}


def test_writable_variables_are_drafted_as_setpoints_not_silent_signals(tmp_path: Path) -> None:
    """A server sends a setpoint only when someone writes it: drafted as a 1-second signal it
    raised "no data" alerts a few seconds into `jayul run`. A writable variable is drafted as a
    setpoint of its machine (EURange its envelope, EngineeringUnits its unit), read back under
    `connect.machines`; one without a range stays commented out (no envelope is guessed)."""
    plc = PlcServer(setpoints=True).start()
    try:
        out = tmp_path / "plant.yaml"
        result = runner.invoke(app, ["connect", "discover", plc.endpoint, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert ": 2 machines, 4 signals, 2 setpoints" in result.output
        b = load_bindings(out)
    finally:
        plc.stop()
    pump = b.plant.machine_type("pump_101")
    assert "speed_sp" not in {s.id for s in pump.signals}
    (speed,) = pump.setpoints
    assert (speed.id, speed.unit, speed.default) == ("speed_sp", "rpm", 1450.0)
    assert (speed.envelope.low, speed.envelope.high) == (0.0, 3000.0)
    press = b.plant.machine_type("press_7")
    assert "force_sp" not in {s.id for s in press.signals} and press.setpoints == []
    assert '# - {id: "force_sp", unit: "kN", default: 120' in out.read_text()
    read_back = {m.machine: m.setpoints for m in b.connect.machines}
    assert read_back["pump_101"]["speed_sp"].node_id == plc.node_ids["Speed_SP"]  # type: ignore[union-attr]
    src = b.connect.sources[0]
    assert isinstance(src, OpcUaSource) and src.nodes is not None
    assert plc.node_ids["Speed_SP"] not in {n.node_id for n in src.nodes}  # not subscribed
    # and so no "no data" alert can wait for them: every signal watched is a measurement
    watched = {s.id for m in b.plant.machines for s in b.plant.machine_type(m.id).signals}
    assert not {"speed_sp", "force_sp"} & watched


def test_discovering_the_twin_server_finds_its_setpoints_units_and_ranges(
    tmp_path: Path,
) -> None:
    """`jayul connect discover` against `jayul twin serve`: the twin's setpoints come back as
    setpoints with their envelopes, its signals with their units and valid ranges."""
    from jayul.connect.bindings import ServerConfig
    from jayul.connect.discover_opcua import browse, opcua_parts
    from jayul.connect.opcua_server import TwinServer, serving_twin
    from jayul.connect.plant_draft import draft_yaml
    from jayul.plant import load_demo_plant

    plant = load_demo_plant()

    async def discover() -> str:
        config = ServerConfig(port=free_port(), host="127.0.0.1")
        server = await TwinServer(plant, config, twin=serving_twin(plant)).start()
        try:
            found = await browse(server.endpoint)
        finally:
            await server.stop()
        drafts, source = opcua_parts(server.endpoint, found)
        return draft_yaml("twin", drafts, ["  sources:", *source])

    out = tmp_path / "plant.yaml"
    out.write_text(asyncio.run(discover()))
    b = load_bindings(out)
    demo = plant.machine_type("pump1")
    pump = b.plant.machine_type("pump1")
    assert {s.id for s in pump.signals} == {s.id for s in demo.signals}  # no setpoint among them
    for s in demo.signals:
        drafted = next(x for x in pump.signals if x.id == s.id)
        assert (drafted.unit, drafted.low, drafted.high) == (s.unit, s.low, s.high)
    assert [(sp.id, sp.unit, sp.envelope.low, sp.envelope.high) for sp in pump.setpoints] == [
        (sp.id, sp.unit, sp.envelope.low, sp.envelope.high) for sp in demo.setpoints
    ]
