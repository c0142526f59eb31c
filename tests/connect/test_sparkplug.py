"""Sparkplug B: payloads encoded here by hand (protobuf wire format), decoded by jayul, and a
DDATA message through the real broker into the store."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from jayul.connect.bindings import Bindings, Connect, MqttSource
from jayul.connect.ingest import Ingest
from jayul.connect.sparkplug import SparkplugParser, decode_payload
from jayul.historian import open_historian
from jayul.plant import Plant


def varint(n: int) -> bytes:
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(number: int, wire: int, body: bytes) -> bytes:
    return varint(number << 3 | wire) + body


def metric(
    name: str | None = None,
    alias: int | None = None,
    ts: int | None = None,
    double: float | None = None,
    int32: int | None = None,
    is_null: bool = False,
) -> bytes:
    out = b""
    if name is not None:
        out += field(1, 2, varint(len(name)) + name.encode())
    if alias is not None:
        out += field(2, 0, varint(alias))
    if ts is not None:
        out += field(3, 0, varint(ts))
    if double is not None:
        out += field(4, 0, varint(10)) + field(13, 1, struct.pack("<d", double))
    if int32 is not None:
        out += field(4, 0, varint(3)) + field(10, 0, varint(int32 & 0xFFFFFFFF))
    if is_null:
        out += field(7, 0, varint(1))
    return out


def payload(ts: int, *metrics: bytes) -> bytes:
    out = field(1, 0, varint(ts))
    for m in metrics:
        out += field(2, 2, varint(len(m)) + m)
    return out + field(3, 0, varint(0))


NOW_MS = time.time_ns() // 1_000_000


def test_decode_types_and_timestamps() -> None:
    stamp, ms = decode_payload(
        payload(NOW_MS, metric("flow", double=41.5), metric("current", ts=NOW_MS - 5, int32=-3))
    )
    assert stamp == NOW_MS
    assert (ms[0].name, ms[0].value, ms[0].timestamp_ms) == ("flow", 41.5, None)
    assert (ms[1].name, ms[1].value, ms[1].timestamp_ms) == ("current", -3.0, NOW_MS - 5)


def test_aliases_from_birth_and_dead_letters() -> None:
    p = SparkplugParser(1 << 20)
    c, dead = p.parse(
        "spBv1.0/g/DBIRTH/edge/pump1", payload(NOW_MS, metric("flow", alias=7, double=40.0))
    )
    assert c is not None and c.machine == "pump1" and c.signal == ["flow"] and dead == []
    c, dead = p.parse(
        "spBv1.0/g/DDATA/edge/pump1",
        payload(NOW_MS, metric(alias=7, double=42.0), metric(alias=99, double=1.0)),
    )
    assert c is not None and c.signal == ["flow"] and c.value[0] == 42.0
    assert c.time[0] == NOW_MS * 1_000_000
    assert [d.reason for d in dead] == ["metric without a name or known alias"]
    assert p.parse("spBv1.0/g/NDEATH/edge", b"") == (None, [])
    c, dead = p.parse("spBv1.0/g/DDATA/edge/pump1", b"\xff\xff\xff")
    assert c is None and "not a Sparkplug B payload" in dead[0].reason
    c, dead = p.parse("nosparkplug/x", b"")
    assert c is None and "topic is not" in dead[0].reason


def test_ddata_through_the_broker(plant: Plant, broker: int, tmp_path: Path, tag: str) -> None:
    src = MqttSource(
        kind="mqtt",
        port=broker,
        format="sparkplug",
        topic_root=f"spBv1.0/{tag}",
        client_id=f"sp-{tag}",
    )
    url = f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    b = Bindings(plant, Connect(sources=[src]), tmp_path / "p.yaml")
    with Ingest(b, historian=url, buffer=tmp_path / "buf") as ingest:
        assert ingest.sources[0].connected.wait(10)  # type: ignore[attr-defined]
        pub = mqtt.Client(CallbackAPIVersion.VERSION2)
        pub.connect("127.0.0.1", broker)
        pub.loop_start()
        body = payload(
            NOW_MS,
            metric("flow", double=41.0),
            metric("pressure", double=6.1),
            metric("vib_rms", ts=NOW_MS - 1000, double=2.0),
        )
        pub.publish(f"spBv1.0/{tag}/DDATA/edge1/pump2", body, qos=1).wait_for_publish()
        pub.publish(
            f"spBv1.0/{tag}/DDATA/edge1/pump2", payload(NOW_MS, metric("flow", is_null=True)), qos=1
        ).wait_for_publish()
        pub.disconnect()
        pub.loop_stop()
        deadline = time.monotonic() + 10
        while ingest.intake.stats.samples < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    with open_historian(url) as h:
        frame = h.query_samples("pump2", 0, 2**62)
        letters = h.dead_letters()
    assert sorted(frame.signal) == ["flow", "pressure", "vib_rms"]
    assert frame[frame.signal == "pressure"].value.iloc[0] == pytest.approx(6.1)
    assert [d.reason for d in letters] == ["value is not finite"]
