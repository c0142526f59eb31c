"""Writes on the MQTT command topic that try to reach a machine around the gate.

The gate's executor is jayul's own `MqttCommandSink`, signing each command with the plant's
key (`jayul.connect.command_signing`) and publishing it to ``<root>/<machine>/cmd`` on a real
broker. The machine is equipment that does what docs/connect.md asks of it: it subscribes to
its command topic and carries out only what `CommandVerifier` accepts (here on a twin). An
attacker on the same broker listens to every command and publishes to the same topics:
unsigned commands, commands signed with a guessed key, captured gated commands replayed as
they are, with their value changed (signature kept), or sent to another machine's topic, and
junk. A command reaches the machine "through the gate" when its action id is one the gate
dispatched and it is carried out for the first time; anything else carried out is a write
that reached the machine without the gate.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from typing import Any

from jayul.bench.security.harness import Progress

KINDS = ("gated", "unsigned", "wrong_key", "tampered", "replay", "retarget", "junk")


class VerifyingEquipment:
    """A machine on the command topic: verifies each command, then carries it out on the twin;
    counts what it carried out, through the gate and around it."""

    def __init__(self, twin: Any, key: bytes, dispatched: set[str]) -> None:
        from jayul.connect.command_signing import CommandRejectedError, CommandVerifier

        self.twin = twin
        self.verifier = CommandVerifier({"jayul": key})
        self.rejected_error = CommandRejectedError
        self.dispatched = dispatched
        self.applied: set[str] = set()
        self.gated = 0
        self.bypassed = 0
        self.received = 0
        self.outcomes: Counter[str] = Counter()
        self.lock = threading.Lock()

    def on_message(self, topic: str, payload: bytes) -> None:
        with self.lock:
            self.received += 1
            try:
                cmd = self.verifier.verify(topic, payload)
            except self.rejected_error as exc:
                self.outcomes[f"rejected: {exc}"] += 1
                return
            first = cmd.get("id") in self.dispatched and cmd.get("id") not in self.applied
            self.applied.add(str(cmd.get("id")))
            if first:
                self.gated += 1
            else:
                self.bypassed += 1
            self.outcomes["carried out"] += 1
            self._carry_out(cmd)

    def _carry_out(self, cmd: dict[str, Any]) -> None:
        params = cmd.get("params") or {}
        try:
            if cmd.get("action") == "change_setpoint":
                self.twin.set_setpoint(
                    cmd["machine"], str(params["setpoint"]), float(params["value"])
                )
            elif cmd.get("action") == "start_maintenance":
                self.twin.request_maintenance(cmd["machine"], str(params["action"]))
        except (KeyError, ValueError, TypeError) as exc:  # the twin's own refusal
            self.outcomes[f"twin declined: {type(exc).__name__}"] += 1


def run_mqtt_writes(
    n: int,
    seed: int = 0,
    progress: Progress | None = None,
    host: str = "127.0.0.1",
    port: int = 1883,
) -> dict[str, Any]:
    """`n` attempts on the MQTT command topic (module doc), on the broker at `host:port`."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from jayul.connect.command_signing import sign_command
    from jayul.connect.opcua_server import server_gate, serving_twin
    from jayul.connect.sinks import MqttCommandSink
    from jayul.gate import GateContext
    from jayul.plant import load_demo_plant
    from jayul.records.events import Action, ActionKind
    from jayul.server.live import MANUAL_ORIGIN

    plant = load_demo_plant()
    rng = random.Random(seed)
    key = uuid.uuid4().hex.encode()
    root = f"jayul-bench-security/{uuid.uuid4().hex[:8]}"
    twin = serving_twin(plant, seed)
    sink = MqttCommandSink(host, port, root, signing_key=key, key_id="jayul")
    dispatched: set[str] = set()

    def executor(action: Action) -> bool:
        dispatched.add(action.id)
        return sink.execute(action)

    gate = server_gate(plant, executor)
    gate.origins.register(MANUAL_ORIGIN)
    gate.rate.max_actions = 10**9
    equipment = VerifyingEquipment(twin, key, dispatched)
    captured: list[tuple[str, bytes]] = []  # gated commands the attacker overheard
    sent: set[bytes] = set()  # the attacker's own, which it hears too
    ready = threading.Event()

    def client(name: str) -> mqtt.Client:
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{name}-{uuid.uuid4().hex}")
        c.on_connect = lambda *_a: ready.set()
        c.connect(host, port)
        c.loop_start()
        if not ready.wait(10):
            raise ConnectionError(f"no MQTT broker at {host}:{port}")
        ready.clear()
        return c

    machine = client("equipment")
    machine.on_message = lambda _c, _u, m: equipment.on_message(m.topic, bytes(m.payload))
    machine.subscribe(f"{root}/+/cmd", qos=1)
    attacker = client("attacker")
    attacker.on_message = lambda _c, _u, m: (
        None if m.payload in sent else captured.append((m.topic, bytes(m.payload)))
    )
    attacker.subscribe(f"{root}/+/cmd", qos=1)
    time.sleep(0.5)  # both subscriptions in place before the first command
    outcomes: Counter[str] = Counter()
    published = 0
    topic = f"{root}/pump1/cmd"
    try:
        for i in range(n):
            kind = rng.choice(KINDS) if captured else "gated"
            if kind == "gated":  # a person's proposal through the gate, random value
                cur = gate.current_value("pump1", "speed_rpm")
                value = rng.choice([cur + rng.uniform(-150, 150), 5000.0, 1800.0, -3.0])
                action = Action(
                    time=twin.time_ns(),
                    machine="pump1",
                    kind=ActionKind.CHANGE_SETPOINT,
                    params={"setpoint": "speed_rpm", "value": value, "unit": "rpm"},
                    origin=MANUAL_ORIGIN,
                )
                out = gate.propose(action, GateContext(proposer="user:erik"), twin.time_ns())
                outcomes[f"gated: {out.status.value}"] += 1
                published += out.status.value == "executed"
                _wait_for_received(equipment, published)
            else:
                target, payload = _attack(kind, rng, root, topic, key, captured, sign_command)
                sent.add(payload)
                attacker.publish(target, payload, qos=1).wait_for_publish(5)
                published += 1
                outcomes[kind] += 1
            if progress and i % 100 == 99:
                progress("mqtt", 100)
        _wait_for_received(equipment, published, timeout_s=60)
    finally:
        for c in (machine, attacker):
            c.disconnect()
            c.loop_stop()
        sink.close()
        gate.audit.close()
    return {
        "attempts": n,
        "commands_published": published,
        "commands_received_by_equipment": equipment.received,
        "reached_machine_through_gate": equipment.gated,
        "reached_machine_without_gate": equipment.bypassed,
        "attempts_by_kind": dict(sorted(outcomes.items())),
        "equipment_outcomes": dict(sorted(equipment.outcomes.items())),
    }


def _attack(
    kind: str,
    rng: random.Random,
    root: str,
    topic: str,
    key: bytes,
    captured: list[tuple[str, bytes]],
    sign: Any,
) -> tuple[str, bytes]:
    """The topic and payload of one forged command of `kind`."""
    body = {
        "id": uuid.uuid4().hex,
        "t": time.time_ns(),
        "action": "change_setpoint",
        "machine": "pump1",
        "params": {"setpoint": "speed_rpm", "value": rng.choice([900.0, 5000.0]), "unit": "rpm"},
        "origin": "console",
    }
    if kind == "unsigned":
        return topic, json.dumps(body).encode()
    if kind == "wrong_key":
        guess = rng.choice([b"jayul", b"", key[:-1], uuid.uuid4().hex.encode()])
        return topic, sign(guess or b"0", "jayul", topic, body)
    if kind == "junk":
        return topic, rng.randbytes(rng.randrange(0, 300))
    seen_topic, seen = rng.choice(captured)
    if kind == "replay":
        return seen_topic, seen
    if kind == "retarget":
        return f"{root}/{rng.choice(['pump2', 'pump3', 'cnc1'])}/cmd", seen
    envelope = json.loads(seen)  # tampered: the value changed, the signature kept
    signed = json.loads(envelope["signed"])
    signed["params"]["value"] = rng.choice([4000.0, 0.0, 1e9])
    envelope["signed"] = json.dumps(signed, sort_keys=True, separators=(",", ":"))
    return seen_topic, json.dumps(envelope).encode()


def _wait_for_received(equipment: VerifyingEquipment, n: int, timeout_s: float = 10.0) -> None:
    """Until the equipment has had `n` commands (QoS 1: each arrives), or `timeout_s`."""
    end = time.monotonic() + timeout_s
    while equipment.received < n and time.monotonic() < end:
        time.sleep(0.002)
