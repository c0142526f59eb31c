"""Poison messages through the real broker: each is dead-lettered with its reason, acknowledged,
and the valid messages after it are stored, also after a restart (no redelivery kills it)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from jayul.connect.bindings import Bindings, Limits
from jayul.connect.ingest import Ingest
from jayul.connect.mqtt_source import MqttSource
from jayul.historian import open_historian

LIMITS = Limits(max_message_bytes=1 << 20, max_future_s=None, max_age_s=None)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


POISON: list[tuple[str, bytes, str]] = [  # (topic suffix, payload, expected words in reason)
    ("pump1/flow", nested(100_000), "nested too deeply"),  # 200 KB
    ("pump1", b'{"samples": ' + nested(50_000) + b"}", "nested too deeply"),
    ("pump1/flow", b'{"t":"9999-12-31T23:59:59+00:00","v":1}', "'t' is not"),
    ("pump1/flow", b'{"t":"0001-01-01T00:00:00+00:00","v":1}', "'t' is not"),
    ("pump1/flow", b'{"t": 1, "v": ' + b"9" * 5000 + b"}", "not JSON"),
    ("pump1", b'{"samples": [{"signal": "flow", "t": 1, "v": "x", "x": %s}]}' % nested(500), "'v'"),
    ("pump1/flow", b'{"t": 99999999999999999999999999, "v": 1}', "'t' is not"),
    ("pump1/flow", b'{"t": 1, "v": 1, "q": 99999999999999999999999}', "quality"),
]


def publish_all(port: int, messages: list[tuple[str, bytes]]) -> None:
    c = mqtt.Client(CallbackAPIVersion.VERSION2)
    c.connect("127.0.0.1", port)
    c.loop_start()
    for topic, body in messages:
        c.publish(topic, body, qos=1).wait_for_publish(10)
    c.disconnect()
    c.loop_stop()


def valid(root: str, i: int) -> tuple[str, bytes]:
    return f"{root}/pump1/flow", json.dumps({"t": 1_000_000 + i, "v": 40.0}).encode()


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_poison_messages_are_dead_lettered_and_ingestion_goes_on(
    broker: int, mqtt_bindings: Callable[..., Bindings], tmp_path: Path, tag: str
) -> None:
    b = mqtt_bindings(broker, LIMITS)
    root = f"test/{tag}"
    url = f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    poison = [(f"{root}/{suffix}", body) for suffix, body, _ in POISON]
    with Ingest(b, historian=url, buffer=tmp_path / "buf") as ingest:
        source = ingest.sources[0]
        assert isinstance(source, MqttSource) and source.connected.wait(10)
        msgs = [m for i, p in enumerate(poison) for m in (p, valid(root, i))]
        msgs += [valid(root, 100 + i) for i in range(25)]
        publish_all(broker, msgs)
        assert wait_for(lambda: source.stats.acked >= len(msgs), 20), vars(source.stats)
        assert ingest.failure() is None and source.stats.thread_restarts == 0
        stored_before = ingest.intake.stats.samples
    assert stored_before == len(poison) + 25
    with open_historian(url) as h:
        assert h.count_samples() == len(poison) + 25
        letters = h.dead_letters()
    assert len(letters) == len(poison)
    assert letters[0].raw == POISON[0][1][:65_536]  # the raw bytes, cut to 64 KiB
    for letter, (_, _, words) in zip(letters, POISON, strict=True):
        assert words in letter.reason and letter.raw, letter.reason
    # a restart with the same session: nothing was left unacknowledged, nothing kills it
    with Ingest(b, historian=url, buffer=tmp_path / "buf") as ingest:
        assert ingest.sources[0].connected.wait(10)  # type: ignore[attr-defined]
        publish_all(broker, [valid(root, 200 + i) for i in range(25)])
        assert wait_for(lambda: ingest.intake.stats.samples >= 25, 20)
        assert ingest.intake.stats.dead_letters == 0  # no poison came back


def test_a_failing_network_thread_is_restarted_and_loses_nothing(
    broker: int, mqtt_bindings: Callable[..., Bindings], tmp_path: Path, tag: str
) -> None:
    """A defect in the message handler (not a bad message: the guard catches those) kills the
    network loop once; the supervisor restarts it, the broker redelivers, nothing is lost."""
    b = mqtt_bindings(broker, LIMITS)
    root = f"test/{tag}"
    url = f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    with Ingest(b, historian=url, buffer=tmp_path / "buf") as ingest:
        source = ingest.sources[0]
        assert isinstance(source, MqttSource) and source.connected.wait(10)
        handler = source.client.on_message
        assert handler is not None
        broken = {"left": 1}

        def once_broken(client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
            if broken["left"]:
                broken["left"] -= 1
                raise RuntimeError("injected defect in the message handler")
            handler(client, userdata, msg)

        source.client.on_message = once_broken
        publish_all(broker, [valid(root, i) for i in range(30)])
        assert wait_for(lambda: ingest.intake.stats.samples >= 30, 20), vars(source.stats)
        assert source.stats.thread_restarts == 1 and ingest.failure() is None
    with open_historian(url) as h:
        assert h.count_samples() == 30


def test_a_thread_failing_again_and_again_is_reported(
    broker: int, mqtt_bindings: Callable[..., Bindings], tmp_path: Path, tag: str
) -> None:
    b = mqtt_bindings(broker, LIMITS)
    root = f"test/{tag}"
    with Ingest(b, historian=f"duckdb:///{tmp_path / 'h.duckdb'}", buffer=tmp_path / "b") as ingest:
        source = ingest.sources[0]
        assert isinstance(source, MqttSource) and source.connected.wait(10)

        def always_broken(*_a: Any) -> None:
            raise RuntimeError("injected defect")

        source.client.on_message = always_broken
        publish_all(broker, [valid(root, 0)])  # redelivered after each restart: fails again
        assert wait_for(lambda: ingest.failure() is not None, 20)
        why = ingest.failure()
        assert why is not None and "network loop failed 6 times" in why and "injected" in why


CRASHING_RUN = """
import json, os, sys, time
from jayul.connect.bindings import load_bindings
from jayul.connect.ingest import Ingest
from jayul.connect.payload import PayloadParser

parse = PayloadParser.parse

def crash_on_poison(self, topic, payload):  # stands in for a decoder that kills the process
    if payload == b'{"crash": true}':
        os._exit(3)
    return parse(self, topic, payload)

PayloadParser.parse = crash_on_poison
url = sys.argv[2]
with Ingest(load_bindings(sys.argv[1]), historian=url) as ingest:
    deadline = time.monotonic() + 15
    while ingest.intake.stats.samples < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    print(json.dumps(vars(ingest.intake.stats)))
"""


def test_a_message_that_kills_the_process_is_dead_lettered_after_two_crashes(
    broker: int, tmp_path: Path, tag: str
) -> None:
    """Redelivery after a restart must not kill jayul again and again: the crash guard marks
    the message in decoding, and after two crashes on it, dead-letters it undecoded."""
    import subprocess
    import sys

    from jayul.bench.ingest.harness import ensure_session
    from jayul.plant import demo_plant_path

    root, client_id = f"test/{tag}", f"crash-{tag}"
    plant_file = tmp_path / "plant.yaml"
    plant_file.write_text(
        f"plant_file: {demo_plant_path()}\nconnect:\n  buffer: {tmp_path / 'buf'}\n"
        "  limits: {max_age_s: null, max_future_s: null}\n"
        f"  sources:\n    - {{kind: mqtt, port: {broker}, topic_root: {root}, "
        f"client_id: {client_id}}}\n"
    )
    ensure_session("127.0.0.1", broker, client_id, root)
    poison = (f"{root}/pump1/flow", b'{"crash": true}')
    publish_all(broker, [poison] + [valid(root, i) for i in range(5)])
    url = f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    cmd = [sys.executable, "-c", CRASHING_RUN, str(plant_file), url]
    codes = [subprocess.run(cmd, capture_output=True, timeout=60).returncode for _ in range(2)]
    assert codes == [3, 3]  # redelivered, and killed the process again
    third = subprocess.run(cmd, capture_output=True, timeout=60)
    assert third.returncode == 0, third.stderr.decode()[-2000:]
    stats = json.loads(third.stdout.decode().splitlines()[-1])
    assert stats["samples"] == 5 and stats["dead_letters"] == 1
    with open_historian(url) as h:
        (letter,) = h.dead_letters()
    assert letter.reason == "the ingesting process died 2 times while decoding this message"
    assert letter.raw == poison[1]


def test_command_topics_are_never_parsed_or_acted_on(
    broker: int, mqtt_bindings: Callable[..., Bindings], tmp_path: Path, tag: str
) -> None:
    """jayul listens on no command topic: a forged command on `<root>/<machine>/cmd` reaches
    neither the store nor anything that acts (actions go out only through the gate)."""
    b = mqtt_bindings(broker, LIMITS)
    root = f"test/{tag}"
    params = {"setpoint": "speed", "value": 9e9}
    forged = json.dumps({"action": "change_setpoint", "params": params})
    with Ingest(b, historian=f"duckdb:///{tmp_path / 'h.duckdb'}", buffer=tmp_path / "b") as ing:
        source = ing.sources[0]
        assert isinstance(source, MqttSource) and source.connected.wait(10)
        publish_all(broker, [(f"{root}/pump1/cmd", forged.encode()), valid(root, 1)])
        assert wait_for(lambda: source.stats.acked >= 2, 10)
        assert (ing.intake.stats.samples, ing.intake.stats.dead_letters) == (1, 0)
