"""`jayul bench security` in small: every forgery detected, no OPC UA write or MQTT command
around the gate."""

from __future__ import annotations

from pathlib import Path

from jayul.bench.security.anchor import run_anchor_outages
from jayul.bench.security.harness import run_forgery, run_opcua_writes
from jayul.bench.security.mqtt import VerifyingEquipment, run_mqtt_writes
from jayul.connect.command_signing import sign_command
from jayul.connect.opcua_server import serving_twin
from jayul.plant import load_demo_plant


def test_every_forgery_is_detected(tmp_path: Path) -> None:
    figures = run_forgery(tmp_path, n=200, trials=4)
    assert figures["intact_trail_verifies"]
    assert sum(figures["trials"].values()) == 16
    assert figures["undetected"] == 0


def test_no_opcua_write_reaches_the_machine_around_the_gate() -> None:
    figures = run_opcua_writes(60, seed=1)
    assert figures["reached_machine_without_gate"] == 0
    assert figures["reached_machine_through_gate"] > 0  # the harness can see real changes
    denied = sum(v for k, v in figures["outcomes"].items() if "BadUserAccessDenied" in k)
    assert denied >= 30  # the anonymous half


def test_no_mqtt_command_reaches_the_machine_around_the_gate() -> None:
    figures = run_mqtt_writes(120, seed=1)  # the local Mosquitto
    assert figures["reached_machine_without_gate"] == 0
    assert figures["reached_machine_through_gate"] > 0
    assert figures["commands_received_by_equipment"] == figures["commands_published"]
    kinds = figures["attempts_by_kind"]
    assert all(kinds.get(k, 0) > 0 for k in ("replay", "tampered", "unsigned", "wrong_key"))


def test_the_mqtt_equipment_counts_a_command_the_gate_never_sent() -> None:
    """The harness can fail: a command signed with the real key (a leaked key) that the gate
    did not dispatch, or a gated one carried out twice, counts as around the gate."""
    plant = load_demo_plant()
    twin = serving_twin(plant)
    equipment = VerifyingEquipment(twin, b"k" * 32, dispatched={"a1"})
    topic = "plant/pump1/cmd"
    body = {"action": "change_setpoint", "machine": "pump1", "origin": "console",
            "params": {"setpoint": "speed_rpm", "value": 1500.0, "unit": "rpm"}}  # fmt: skip
    equipment.on_message(topic, sign_command(b"k" * 32, "jayul", topic, {**body, "id": "a1"}))
    equipment.on_message(topic, sign_command(b"k" * 32, "jayul", topic, {**body, "id": "a1"}))
    equipment.on_message(topic, sign_command(b"k" * 32, "jayul", topic, {**body, "id": "x"}))
    assert (equipment.gated, equipment.bypassed) == (1, 2)


def test_no_checkpoint_is_lost_while_the_syslog_collector_goes_down_and_up() -> None:
    figures = run_anchor_outages(3, seed=2, records_per_stretch=30)
    assert figures["writer_restarts"] == 1
    assert figures["appends_while_anchor_failing"] > 0  # the outages were real
    assert figures["checkpoints_stored"] > 10
    assert figures["checkpoints_lost"] == 0
    assert figures["checkpoints_anchored"] == figures["checkpoints_stored"]
