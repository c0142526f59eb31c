"""Connection and device health: unreachable sources and missing nodes reported at start,
"no data" alerts for silent signals, per-signal counts."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from jayul.cli.main import app
from jayul.connect.bindings import parse_bindings
from jayul.connect.source_health import HealthBoard, NoDataWatch, check_sources
from jayul.plant import Plant, demo_plant_path

sys.path.insert(0, str(Path(__file__).parent))  # the PLC server beside this file
from plc_server import PlcServer, free_port

runner = CliRunner()


@pytest.fixture(scope="module")
def plc() -> Iterator[PlcServer]:
    server = PlcServer().start()
    yield server
    server.stop()


def bindings_text(sources: str) -> str:
    return f"plant_file: {demo_plant_path()}\nconnect:\n  sources:\n{sources}"


def test_an_unreachable_broker_is_named_at_once(tmp_path: Path) -> None:
    port = free_port()
    b = parse_bindings(bindings_text(f"    - {{kind: mqtt, port: {port}}}\n"), tmp_path / "p.yaml")
    problems = check_sources(b, timeout_s=1.0)
    assert len(problems) == 1
    assert problems[0].startswith(
        f"connect.sources[0] (mqtt mqtt): the broker at 127.0.0.1:{port} cannot be reached"
    )


def test_a_misspelt_node_is_named_at_once(plc: PlcServer, tmp_path: Path) -> None:
    good = plc.node_ids["FT101"]
    bad = good.replace("FT101", "FT1O1")
    text = bindings_text(
        f"    - kind: opcua\n      endpoint: {plc.endpoint}\n      nodes:\n"
        f"        - {{machine: pump1, signal: flow, node_id: '{good}'}}\n"
        f"        - {{machine: pump1, signal: pressure, node_id: '{bad}'}}\n"
    )
    problems = check_sources(parse_bindings(text, tmp_path / "p.yaml"))
    assert len(problems) == 1
    assert f"nodes[1] (pump1.pressure): node {bad} does not exist on the server" in problems[0]


def test_run_exits_with_the_reason_when_a_source_is_down(tmp_path: Path) -> None:
    plant = tmp_path / "plant.yaml"
    plant.write_text(bindings_text(f"    - {{kind: mqtt, port: {free_port()}}}\n"))
    result = runner.invoke(app, ["run", "--plant", str(plant), "--seconds", "1"])
    assert result.exit_code == 3, result.output
    assert "the broker at 127.0.0.1:" in result.output and "cannot be reached" in result.output


def test_no_data_alert_once_per_silence(plant: Plant) -> None:
    board = HealthBoard()
    t0 = 10**18
    per = {"pump1.flow": 2.0}  # flow: 2 periods of 60 s; everything else 5
    watch = NoDataWatch(board, plant, t0, periods=5.0, per_signal=per)
    signals = np.asarray([s.id for s in plant.machine_type("pump1").signals], dtype=object)
    board.record("mqtt:x", "pump1", signals, 0, t0 + 60 * 10**9)
    assert [e for e in watch.events(t0 + 100 * 10**9) if e.machine == "pump1"] == []
    events = watch.events(t0 + 200 * 10**9)  # flow silent 140 s > 120 s; the others not
    pump = [e for e in events if e.machine == "pump1"]
    assert [e.payload["signal"] for e in pump] == ["flow"]
    assert pump[0].payload["reason"] == (
        "no data from flow for 140 s (more than 2 sampling periods of 60 s)"
    )
    assert [e for e in watch.events(t0 + 210 * 10**9) if e.machine == "pump1"] == []  # once
    board.record("mqtt:x", "pump1", np.asarray(["flow"], dtype=object), 0, t0 + 220 * 10**9)
    assert [e for e in watch.events(t0 + 230 * 10**9) if e.machine == "pump1"] == []
    again = watch.events(t0 + 400 * 10**9)  # silent again: a new alert
    assert "flow" in [e.payload["signal"] for e in again if e.machine == "pump1"]
    snap = board.snapshot()
    assert snap["signals"]["pump1.flow"]["samples"] == 2
    assert snap["sources"]["mqtt"]["samples"] == len(signals) + 1
