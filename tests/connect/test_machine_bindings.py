"""connect.machines: state, run-hour and setpoint tags; PLC codes mapped; errors that name the
file, the field path and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from jayul.connect.bindings import BindingsError, CounterTag, StateTag, parse_bindings
from jayul.connect.equipment import state_of
from jayul.connect.tags import parse_payload
from jayul.plant import demo_plant_path
from jayul.records import MachineState

SOURCES = """
  sources:
    - {kind: mqtt, topic_root: t}
    - {kind: opcua, name: plc, endpoint: "opc.tcp://127.0.0.1:4840", nodes: []}
"""


def parse(machines: str, sources: str = SOURCES) -> None:
    text = f"plant_file: {demo_plant_path()}\nconnect:\n{sources}  machines:\n{machines}"
    parse_bindings(text, Path("/plants/p.yaml"))


def test_a_complete_binding_is_accepted() -> None:
    parse(
        """    - machine: pump1
      state: {tag: {kind: opcua, node_id: "ns=2;s=P1.State"}, map: {"1": running, "0": idle}}
      run_hours: {tag: {kind: mqtt, topic: t/p1/hours, field: value}, unit: minutes}
      setpoints: {speed_rpm: {kind: opcua, source: plc, node_id: "ns=2;s=P1.Speed"}}
"""
    )


@pytest.mark.parametrize(
    ("machines", "where", "problem"),
    [
        ("    - {machine: pump9}\n", "connect.machines[0].machine", "unknown machine 'pump9'"),
        (
            "    - {machine: pump1, state: {tag: {kind: modbus, address: 3}}}\n",
            "connect.machines[0].state.tag",
            "no modbus source",
        ),
        (
            "    - {machine: pump1, state: {tag: {kind: opcua, source: plc2, node_id: x}}}\n",
            "connect.machines[0].state.tag",
            "no opcua source named 'plc2'",
        ),
        (
            "    - {machine: pump1, setpoints: {speed: {kind: mqtt, topic: a}}}\n",
            "connect.machines[0].setpoints.speed",
            "has no setpoint 'speed'",
        ),
        (
            "    - {machine: pump1, state: {tag: {kind: mqtt, topic: a}, map: {'1': busy}}}\n",
            "connect.machines[0].state.map.1",
            "running",
        ),
        (
            "    - {machine: pump1, run_hours: {tag: {kind: mqtt, topic: a}, unit: cycles}}\n",
            "connect.machines[0].run_hours",
            "hours_per_cycle",
        ),
        ("    - {machine: pump1}\n    - {machine: pump1}\n", "machines[1]", "bound twice"),
    ],
)
def test_errors_name_file_field_and_problem(machines: str, where: str, problem: str) -> None:
    with pytest.raises(BindingsError) as err:
        parse(machines)
    text = str(err.value)
    assert "/plants/p.yaml" in text and where in text and problem in text, text


def test_plc_codes_and_booleans_map_to_states() -> None:
    codes = StateTag.model_validate(
        {
            "tag": {"kind": "mqtt", "topic": "a"},
            "map": {"0": "idle", "1": "running", "3": "maintenance", "RUN": "running"},
        }
    )
    assert state_of(3.0, codes) is MachineState.MAINTENANCE
    assert state_of(1.0, codes) is MachineState.RUNNING
    assert state_of("RUN", codes) is MachineState.RUNNING
    assert state_of(7.0, codes) is MachineState.UNKNOWN  # not listed: unknown, never guessed
    flag = StateTag.model_validate(
        {"tag": {"kind": "mqtt", "topic": "a"}, "map": {"true": "running", "false": "down"}}
    )
    assert state_of(True, flag) is MachineState.RUNNING
    assert state_of(False, flag) is MachineState.DOWN
    named = StateTag.model_validate({"tag": {"kind": "mqtt", "topic": "a"}})
    assert state_of("Idle", named) is MachineState.IDLE
    assert state_of("warming", named) is MachineState.UNKNOWN


def test_counters_read_in_hours() -> None:
    tag = {"kind": "mqtt", "topic": "a"}
    assert CounterTag.model_validate({"tag": tag, "unit": "minutes"}).hours(90.0) == 1.5
    assert CounterTag.model_validate({"tag": tag, "unit": "seconds"}).hours(7200.0) == 2.0
    cycles = CounterTag.model_validate({"tag": tag, "unit": "cycles", "hours_per_cycle": 0.01})
    assert cycles.hours(500.0) == pytest.approx(5.0)


def test_mqtt_payloads() -> None:
    assert parse_payload(b"42", None) == 42.0
    assert parse_payload(b"true", None) is True
    assert parse_payload(b"RUN", None) == "RUN"
    assert parse_payload(b'{"value": 3, "ts": 1}', "value") == 3.0
    with pytest.raises(ValueError):
        parse_payload(b'{"v": 3}', "value")
    with pytest.raises(ValueError):
        parse_payload(b"[1, 2]", None)
