"""The broker ACL docs/connect.md suggests: only jayul's account publishes on the command
topics; equipment reads its own. Checked on a Mosquitto of the test's own."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

if TYPE_CHECKING:
    from conftest import OwnBroker

ACL = """user jayul
topic write jayul/demo/+/cmd
topic read jayul/demo/#
pattern read jayul/demo/%c/cmd
"""


def _client(port: int, user: str, client_id: str) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
    c.username_pw_set(user, f"{user}-pass")
    ready = threading.Event()
    c.on_connect = lambda *_a: ready.set()
    c.connect("127.0.0.1", port)
    c.loop_start()
    assert ready.wait(10)
    return c


def test_only_jayul_publishes_commands(
    broker_with: Callable[[str], OwnBroker], tmp_path: Path
) -> None:
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    passwd.touch()
    for user in ("jayul", "mallory", "pump1"):
        subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, f"{user}-pass"], check=True)
    acl.write_text(ACL)
    broker = broker_with(f"allow_anonymous false\npassword_file {passwd}\nacl_file {acl}\n")
    got: list[bytes] = []
    pump = _client(broker.port, "pump1", "pump1")
    pump.on_message = lambda _c, _u, m: got.append(bytes(m.payload))
    pump.subscribe("jayul/demo/pump1/cmd", qos=1)
    pump2 = _client(broker.port, "pump1", "pump2-spy")  # not its own topic: reads nothing
    spied: list[bytes] = []
    pump2.on_message = lambda _c, _u, m: spied.append(bytes(m.payload))
    pump2.subscribe("jayul/demo/pump1/cmd", qos=1)
    time.sleep(0.3)
    jayul, mallory = _client(broker.port, "jayul", "j"), _client(broker.port, "mallory", "m")
    mallory.publish("jayul/demo/pump1/cmd", b"forged", qos=1).wait_for_publish(5)
    jayul.publish("jayul/demo/pump1/cmd", b"gated", qos=1).wait_for_publish(5)
    end = time.monotonic() + 5
    while not got and time.monotonic() < end:
        time.sleep(0.02)
    time.sleep(0.3)  # anything else would have arrived by now
    for c in (pump, pump2, jayul, mallory):
        c.disconnect()
        c.loop_stop()
    assert got == [b"gated"]  # mallory's publish was acknowledged and dropped
    assert spied == []
