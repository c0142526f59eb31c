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
    url = f"duckdb://{tmp_path / 'h.duckdb'}?threads=1"
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
    url = f"duckdb://{tmp_path / 'h.duckdb'}?threads=1"
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
    with Ingest(b, historian=f"duckdb://{tmp_path / 'h.duckdb'}", buffer=tmp_path / "b") as ingest:
        source = ingest.sources[0]
        assert isinstance(source, MqttSource) and source.connected.wait(10)

        def always_broken(*_a: Any) -> None:
            raise RuntimeError("injected defect")

        source.client.on_message = always_broken
        publish_all(broker, [valid(root, 0)])  # redelivered after each restart: fails again
        assert wait_for(lambda: ingest.failure() is not None, 20)
        why = ingest.failure()
        assert why is not None and "network loop failed 6 times" in why and "injected" in why
