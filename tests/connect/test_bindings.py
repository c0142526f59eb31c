"""The connect section of a plant file: examples load, mistakes are named precisely."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jayul.cli.main import app
from jayul.connect.bindings import BindingsError, ModbusSource, MqttSource, load_bindings
from jayul.plant import demo_plant_path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "plants"


def test_example_files_load() -> None:
    b = load_bindings(EXAMPLES / "demo-mqtt.yaml")
    assert b.plant.name == "demo"
    assert isinstance(b.connect.sources[0], MqttSource)
    assert b.topic_root(None) == "jayul/demo"
    assert load_bindings(EXAMPLES / "demo-opcua.yaml").connect.sources[0].kind == "opcua"


def _write(tmp_path: Path, connect: str) -> Path:
    p = tmp_path / "plant.yaml"
    p.write_text(f"plant_file: {demo_plant_path()}\nconnect:\n{connect}")
    return p


def test_modbus_register_map_parses(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "  sources:\n    - kind: modbus\n      port: 5020\n      registers:\n"
        "        - {machine: pump1, signal: flow, address: 4, type: float32, word_order: little}\n",
    )
    src = load_bindings(p).connect.sources[0]
    assert isinstance(src, ModbusSource)
    assert src.registers[0].words == 2


@pytest.mark.parametrize(
    ("connect", "where", "problem"),
    [
        ("  sources:\n    - {kind: mqtt, port: 0}\n", "connect.sources[0].mqtt.port", "greater"),
        ("  sources:\n    - {kind: carrier_pigeon}\n", "connect.sources[0]", "kind"),
        (
            "  sources:\n    - kind: modbus\n      registers:\n"
            "        - {machine: nope, signal: flow, address: 0}\n",
            "connect.sources[0].registers[0].machine",
            "unknown machine 'nope'",
        ),
        (
            "  sources:\n    - kind: modbus\n      registers:\n"
            "        - {machine: pump1, signal: spindle_load, address: 0}\n",
            "connect.sources[0].registers[0].signal",
            "has no signal 'spindle_load'",
        ),
        ("  limits: {max_message_bytes: -1}\n", "connect.limits.max_message_bytes", "greater"),
        (
            "  server: {security: {mode: sign_and_encrypt}}\n",
            "connect.server.security",
            "needs certificate",
        ),
    ],
)
def test_errors_name_file_field_and_problem(
    tmp_path: Path, connect: str, where: str, problem: str
) -> None:
    p = _write(tmp_path, connect)
    with pytest.raises(BindingsError) as info:
        load_bindings(p)
    message = str(info.value)
    assert str(p) in message and where in message and problem in message


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(BindingsError, match="cannot read"):
        load_bindings(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("plant: [unclosed")
    with pytest.raises(BindingsError, match="not valid YAML"):
        load_bindings(bad)


def test_cli_reports_bad_bindings_with_exit_code_2(tmp_path: Path) -> None:
    p = _write(tmp_path, "  sources:\n    - {kind: mqtt, port: 70000}\n")
    result = CliRunner().invoke(app, ["run", "--plant", str(p), "--seconds", "1"])
    assert result.exit_code == 2
    assert "connect.sources[0].mqtt.port" in result.output
    assert "Traceback" not in result.output
