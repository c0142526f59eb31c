"""Payload mappings: each payload style and time format, then all of them through Mosquitto."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from jayul.connect.bindings import BindingsError, parse_bindings
from jayul.connect.ingest import Ingest
from jayul.connect.mapping import MappingParser, epoch_ns, text_time_ns
from jayul.connect.mapping_spec import PayloadMapping
from jayul.historian import open_historian
from jayul.plant import Plant, demo_plant_path
from jayul.records import utc_now_ns

T0_S = 1_767_225_600  # 2026-01-01T00:00:00Z
T0 = T0_S * 10**9


def parser(**spec: Any) -> MappingParser:
    return MappingParser("f", [PayloadMapping(**spec)], 1 << 20)


def parse(p: MappingParser, topic: str, body: Any) -> tuple[dict[str, Any], list[str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    c, dead = p.parse(topic, raw)
    rows: dict[str, Any] = {}
    if c is not None:
        rows = {"machine": c.machine, "signal": c.signal, "time": c.time.tolist()}
        rows.update(value=c.value.tolist(), quality=c.quality.tolist())
    return rows, [d.reason for d in dead]


def test_flat_message_many_signals_with_ms_epoch_rename_and_units() -> None:
    p = parser(
        topic="gw/{machine}",
        flat=True,
        time="ts",
        time_unit="ms",
        rename={"discharge_pressure": "pressure"},
        units={"pressure": {"scale": 0.001, "offset": 0.5}},
    )
    body = {"ts": T0_S * 1000 + 250, "discharge_pressure": 7400, "flow": 41.5}
    rows, dead = parse(p, "f/gw/pump1", body)
    assert dead == []
    assert rows["machine"] == "pump1"
    assert rows["signal"] == ["pressure", "flow"]
    assert rows["time"] == [T0 + 250_000_000] * 2
    assert rows["value"] == pytest.approx([7.9, 41.5])


def test_flat_non_numeric_field_is_named_and_the_rest_kept() -> None:
    p = parser(topic="gw/{machine}", flat=True, time="ts", time_unit="ms")
    rows, dead = parse(p, "f/gw/pump1", {"ts": T0_S * 1000, "flow": 1.0, "status": "ok"})
    assert rows["signal"] == ["flow"]
    assert dead == ["mapping 'gw/{machine}': field 'status': 'ok' is not a number"]


def test_kepware_values_array_with_quality_and_machine_from_the_message() -> None:
    p = parser(
        topic="kepware",
        machine="device",
        records="values",
        signal="id",
        value="v",
        quality="q",
        time="t",
        time_unit="ms",
    )
    body = {
        "timestamp": T0_S * 1000,
        "device": "press1",
        "values": [
            {"id": "force", "v": 812.5, "q": True, "t": T0_S * 1000 + 1},
            {"id": "oil_temp", "v": 47, "q": False, "t": T0_S * 1000 + 2},
            {"id": "vib_rms", "q": True, "t": T0_S * 1000 + 3},
        ],
    }
    rows, dead = parse(p, "f/kepware", body)
    assert rows["machine"] == "press1"
    assert rows["signal"] == ["force", "oil_temp"]
    assert rows["quality"] == [0, 2]
    assert rows["time"] == [T0 + 1_000_000, T0 + 2_000_000]
    assert dead == ["mapping 'kepware': value ('v'): no such field"]


def test_record_time_falls_back_to_the_message_time() -> None:
    p = parser(topic="k/{machine}", records="values", signal="id", value="v", time="timestamp")
    rows, _ = parse(p, "f/k/pump1", {"timestamp": T0_S, "values": [{"id": "flow", "v": 3}]})
    assert rows["time"] == [T0]  # auto: a 10-digit epoch is seconds


def test_positional_array_of_values() -> None:
    p = parser(
        topic="arr/{machine}",
        records="values",
        signals=["flow", "pressure"],
        time="timestamp",
        time_unit="s",
    )
    rows, dead = parse(p, "f/arr/pump2", {"timestamp": T0_S + 0.5, "values": [40.0, 6.1, 9]})
    assert rows["signal"] == ["flow", "pressure"]
    assert rows["time"] == [T0 + 500_000_000] * 2
    assert dead == ["mapping 'arr/{machine}': record 2: only 2 signals are named"]


def test_bare_number_signal_from_the_topic_stamped_on_arrival() -> None:
    p = parser(topic="raw/{machine}/{signal}")
    before = utc_now_ns()
    rows, dead = parse(p, "f/raw/pump1/flow", b"42.25")
    assert dead == []
    assert (rows["signal"], rows["value"]) == (["flow"], [42.25])
    assert before <= rows["time"][0] <= utc_now_ns()
    _, dead = parse(p, "f/raw/pump1/flow", b"forty")
    assert dead[0].startswith("mapping 'raw/{machine}/{signal}': payload is not JSON")


def test_nested_jmespath_record() -> None:
    p = parser(
        topic="dev/+",
        machine="meta.asset",
        signal="meta.tag",
        value="data.reading.value",
        time="data.reading.at",
        time_zone="Europe/Berlin",
    )
    body = {
        "meta": {"asset": "cnc1", "tag": "spindle_load"},
        "data": {"reading": {"value": 55, "at": "2026-01-01T01:00:00"}},
    }
    rows, dead = parse(p, "f/dev/x", body)
    assert dead == []
    assert rows["time"] == [T0]  # 01:00 in Berlin (UTC+1 in winter) is 00:00 UTC
    _, dead = parse(p, "f/dev/x", {"meta": {"asset": "cnc1"}, "data": {}})
    assert dead == ["mapping 'dev/+': time ('data.reading.at'): no such field"]
    _, dead = parse(p, "f/dev/x", {"data": {}})
    assert dead == ["mapping 'dev/+': machine ('meta.asset'): None is not a machine id"]


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        (T0_S, "s", T0),
        (T0_S, "auto", T0),
        (T0_S * 1000 + 7, "ms", T0 + 7_000_000),
        (T0_S * 1000 + 7, "auto", T0 + 7_000_000),
        (T0_S * 10**6 + 7, "us", T0 + 7_000),
        (T0_S * 10**6 + 7, "auto", T0 + 7_000),
        (T0 + 7, "ns", T0 + 7),
        (T0 + 7, "auto", T0 + 7),
        (T0_S + 0.25, "s", T0 + 250_000_000),
    ],
)
def test_numeric_epochs(raw: float, unit: str, expected: int) -> None:
    assert epoch_ns(raw, unit) == expected


@pytest.mark.parametrize(
    ("text", "fmt", "zone", "expected"),
    [
        ("2026-01-01T00:00:00Z", None, None, T0),
        ("2026-01-01T02:00:00+02:00", None, None, T0),
        ("2026-01-01T00:00:00.5", None, "UTC", T0 + 500_000_000),
        ("2026-07-01T02:00:00", None, "Europe/Berlin", T0 + 181 * 86_400 * 10**9),
        ("01.01.2026 09:00:00", "%d.%m.%Y %H:%M:%S", "Asia/Seoul", T0),
        ("1767225600000", None, None, T0),  # a numeric epoch written as a string
    ],
)
def test_time_strings(text: str, fmt: str | None, zone: str | None, expected: int) -> None:
    from zoneinfo import ZoneInfo

    assert text_time_ns(text, "auto", fmt, ZoneInfo(zone) if zone else None) == expected


def test_time_strings_that_do_not_match_say_so() -> None:
    p = parser(topic="{machine}/{signal}", value="v", time="t")
    _, dead = parse(p, "f/pump1/flow", {"t": "2026-01-01T00:00:00", "v": 1})
    assert dead == [
        "mapping '{machine}/{signal}': time ('t'): '2026-01-01T00:00:00' has no zone and "
        "the mapping declares no time_zone"
    ]
    _, dead = parse(p, "f/pump1/flow", {"t": "yesterday", "v": 1})
    assert dead == [
        "mapping '{machine}/{signal}': time ('t'): 'yesterday' is not a time in ISO 8601"
    ]
    _, dead = parse(p, "f/pump1/flow/extra", {"t": T0, "v": 1})
    assert dead == ["topic matches no mapping ({machine}/{signal})"]


def test_mapping_spec_errors_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one way"):
        PayloadMapping(topic="{machine}/{signal}", signal="id")
    with pytest.raises(ValueError, match="name the machine"):
        PayloadMapping(topic="gw", flat=True)
    with pytest.raises(ValueError, match="not an IANA zone"):
        PayloadMapping(topic="{machine}", flat=True, time_zone="Mars/Olympus")
    text = f"plant_file: {demo_plant_path()}\nconnect:\n  sources:\n" + (
        "    - kind: mqtt\n      mappings:\n"
        "        - {topic: gw, machine: '=pump9', flat: true}\n"
        "        - {topic: 'x/{machine}', flat: true, units: {presure: {scale: 2}}}\n"
    )
    with pytest.raises(BindingsError) as err:
        parse_bindings(text, tmp_path / "p.yaml")
    assert "connect.sources[0].mappings[0].machine: unknown machine 'pump9'" in str(err.value)
    assert "connect.sources[0].mappings[1].units: no machine has signal 'presure'" in str(err.value)


def test_millisecond_epoch_in_the_native_scheme_is_named_as_such(plant: Plant) -> None:
    from jayul.connect.bindings import Limits
    from jayul.connect.payload import PayloadParser
    from jayul.connect.validate import SignalTable

    c, _ = PayloadParser("jayul/demo", 1 << 20).parse(
        "jayul/demo/pump1/flow", json.dumps({"t": int(time.time() * 1000), "v": 4}).encode()
    )
    assert c is not None
    _, dead = SignalTable(plant, Limits()).check(c, "mqtt:x")
    assert "looks like milliseconds, not nanoseconds (declare time_unit)" in dead[0].reason
    assert "is too old (max_age_s=604800)" in dead[0].reason


PLANT_WITH_MAPPINGS = """\
plant_file: {plant}
connect:
  limits: {{max_age_s: null}}
  sources:
    - kind: mqtt
      port: {port}
      topic_root: {root}
      client_id: map-{tag}
      mappings:
        - {{topic: "gw/{{machine}}", flat: true, time: ts, time_unit: ms,
            rename: {{discharge_pressure: pressure}}}}
        - {{topic: "kepware/{{machine}}", records: values, signal: id, value: v, quality: q,
            time: t, time_unit: ms}}
        - {{topic: "arr/{{machine}}", records: values, signals: [flow, pressure],
            time: timestamp, time_unit: s}}
        - {{topic: "raw/{{machine}}/{{signal}}"}}
        - {{topic: "iso/{{machine}}/{{signal}}", value: v, time: at,
            time_zone: Asia/Seoul}}
"""


def test_every_style_through_mosquitto(broker: int, tag: str, tmp_path: Path) -> None:
    root = f"test/{tag}"
    text = PLANT_WITH_MAPPINGS.format(plant=demo_plant_path(), port=broker, root=root, tag=tag)
    bindings = parse_bindings(text, tmp_path / "plant.yaml")
    ms = T0_S * 1000
    messages: list[tuple[str, Any]] = [
        ("gw/pump1", {"ts": ms, "discharge_pressure": 7.4, "flow": 41.0}),
        ("kepware/press1", {"values": [{"id": "force", "v": 800, "q": True, "t": ms}]}),
        ("arr/pump2", {"timestamp": T0_S, "values": [40.0, 6.0]}),
        ("raw/cnc1/spindle_load", 55.5),
        ("iso/cnc2/acoustic", {"v": 77, "at": "2026-01-01T09:00:00"}),
        # mismatching: each must dead-letter naming its field
        ("gw/pump1", {"ts": "soon", "flow": 1.0}),
        ("kepware/press1", {"values": [{"id": "force", "q": True, "t": ms}]}),
        ("arr/pump2", {"timestamp": T0_S, "values": "40"}),
        ("raw/cnc1/spindle_load", "n/a"),
        ("iso/cnc2/acoustic", {"v": 77}),
        ("gw/pump1", {"ts": ms, "flow": 999.0}),  # outside the signal's valid range
    ]
    url = f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    with Ingest(bindings, historian=url, buffer=tmp_path / "buf") as ingest:
        assert ingest.sources[0].connected.wait(10)  # type: ignore[attr-defined]
        pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{tag}")
        pub.connect("127.0.0.1", broker)
        pub.loop_start()
        for topic, body in messages:
            pub.publish(f"{root}/{topic}", json.dumps(body), qos=1).wait_for_publish(5)
        pub.disconnect()
        pub.loop_stop()
        deadline = time.monotonic() + 10
        while ingest.intake.stats.samples + ingest.intake.stats.dead_letters < 13:
            assert time.monotonic() < deadline, ingest.intake.stats
            time.sleep(0.05)
    with open_historian(url) as h:

        def stored(machine: str) -> list[tuple[str, int, float]]:
            df = h.query_samples(machine, 0, 2**62)
            return list(zip(df.signal, df.time, df.value, strict=True))

        assert stored("pump1") == [("flow", T0, 41.0), ("pressure", T0, 7.4)]
        assert stored("press1") == [("force", T0, 800.0)]
        assert stored("pump2") == [("flow", T0, 40.0), ("pressure", T0, 6.0)]
        assert [(s, v) for s, _, v in stored("cnc1")] == [("spindle_load", 55.5)]
        assert stored("cnc2") == [("acoustic", T0, 77.0)]
        reasons = sorted(d.reason for d in h.dead_letters())
    assert reasons == sorted(
        [
            "mapping 'gw/{machine}': time ('ts'): 'soon' is not a time in ISO 8601",
            "mapping 'kepware/{machine}': value ('v'): no such field",
            "mapping 'arr/{machine}': records ('values'): str not a list",
            "mapping 'raw/{machine}/{signal}': value ('@'): 'n/a' is not a number",
            "mapping 'iso/{machine}/{signal}': time ('at'): no such field",
            "value outside the signal's valid range: flow = 999 not in [0, 80]",
        ]
    )
