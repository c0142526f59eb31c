"""Discovering an MQTT feed: listen for a while, then propose payload mappings and a plant draft.

Each topic's payloads are classified: a bare number (signal and machine from the last two topic
levels), a Kepware-style object with a list of `{id, v, t}` records, or a flat object of
numbers (one signal per key) with an optional time key (`ts`, `timestamp`, `time`, `t`) whose
unit is read from its magnitude. Topics of one style and depth share one mapping, with the
machine taken from the topic level that varies. The proposal is a starting point: the user
checks the time unit and zone, and renames machines and signals.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from jayul.connect.plant_draft import DraftMachine, DraftSignal, DraftTag, draft_yaml, tag_role

TIME_KEYS = ("ts", "timestamp", "time", "t", "@timestamp", "datetime")
VALUE_KEYS = ("v", "value", "val")
NAME_KEYS = ("id", "name", "tag", "signal")


def listen(
    host: str,
    port: int,
    topic: str,
    seconds: float,
    periods: dict[str, float] | None = None,
) -> dict[str, list[bytes]]:
    """Up to 20 payloads of every topic seen under `topic` in `seconds` (QoS 0, no session);
    `periods`, when given, gets each topic's median time between messages (seconds)."""
    seen: dict[str, list[bytes]] = defaultdict(list)
    arrivals: dict[str, list[float]] = defaultdict(list)
    lock = threading.Lock()
    failed: list[str] = []

    def on_message(_c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with lock:
            arrivals[msg.topic].append(time.monotonic())
            if len(seen[msg.topic]) < 20:
                seen[msg.topic].append(bytes(msg.payload))

    def on_connect(c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            failed.append(str(reason))
        else:
            c.subscribe(topic, qos=0)

    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"jayul-discover-{uuid.uuid4().hex[:8]}"
    )
    client.on_message = on_message
    client.on_connect = on_connect
    client.connect(host, port, keepalive=30)  # OSError when the broker is not there
    client.loop_start()
    try:
        time.sleep(seconds)
    finally:
        client.disconnect()
        client.loop_stop()
    if failed:
        raise ConnectionError(f"the broker refused the connection: {failed[0]}")
    if periods is not None:
        for name, times in arrivals.items():
            if len(times) > 1:
                periods[name] = float(np.median(np.diff(times)))
    return dict(seen)


def _time_unit(value: Any) -> str:
    if isinstance(value, str):
        return "iso"
    magnitude = abs(float(value))
    for bound, unit in ((1e11, "s"), (1e14, "ms"), (1e17, "us")):
        if magnitude < bound:
            return unit
    return "ns"


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


@dataclass
class Style:
    """How one topic's payloads read."""

    kind: str  # bare, flat, records
    time_key: str | None = None
    time_unit: str = "auto"
    records_key: str | None = None
    name_key: str | None = None
    value_key: str | None = None
    signals: dict[str, float] = field(default_factory=dict)  # name -> last value
    texts: dict[str, str] = field(default_factory=dict)  # flat: keys holding no number

    def signature(self) -> tuple[Any, ...]:
        return (
            self.kind,
            self.time_key,
            self.time_unit,
            self.records_key,
            self.name_key,
            self.value_key,
        )


def classify(payloads: list[bytes]) -> Style | None:
    """The style of a topic's payloads, or None when they fit none."""
    try:
        body = json.loads(payloads[-1])
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if _is_number(body):
        return Style("bare", signals={"": float(body)})
    if not isinstance(body, dict):
        return None
    time_key = next((k for k in TIME_KEYS if k in body), None)
    unit = _time_unit(body[time_key]) if time_key else "auto"
    for key, items in body.items():
        if isinstance(items, list) and items and all(isinstance(i, dict) for i in items):
            first = items[0]
            name_key = next((k for k in NAME_KEYS if k in first), None)
            value_key = next((k for k in VALUE_KEYS if k in first), None)
            if name_key and value_key:
                item_time = next((k for k in TIME_KEYS if k in first), None)
                signals = {
                    str(i[name_key]): float(i[value_key])
                    for i in items
                    if name_key in i and _is_number(i.get(value_key))
                }
                t_key = item_time or time_key
                t_unit = _time_unit(first[item_time]) if item_time else unit
                return Style("records", t_key, t_unit, key, name_key, value_key, signals)
    numbers = {k: float(v) for k, v in body.items() if k != time_key and _is_number(v)}
    texts = {
        k: str(v) for k, v in body.items() if k != time_key and k not in numbers and v is not None
    }
    if numbers:
        return Style("flat", time_key, unit, signals=numbers, texts=texts)
    return None


def propose(
    seen: dict[str, list[bytes]], root: str, periods: dict[str, float] | None = None
) -> tuple[list[DraftMachine], list[dict[str, Any]], list[str]]:
    """Machines (with the signals seen), mappings (as plant-file dicts) and skipped topics.
    A flat record's keys that hold no number are listed under the mapping's `ignore` (else
    every message would leave a dead letter for them); one named as a state becomes the
    machine's state tag. `periods` (topic -> seconds between messages) set the signals'
    sampling periods, which the "no data" alerts count in."""
    prefix = root.rstrip("/") + "/"
    groups: dict[tuple[Any, ...], list[tuple[list[str], Style]]] = defaultdict(list)
    skipped = []
    for topic, payloads in sorted(seen.items()):
        style = classify(payloads) if topic.startswith(prefix) else None
        if style is None:
            skipped.append(topic)
            continue
        levels = topic[len(prefix) :].split("/")
        if style.kind == "bare" and len(levels) < 2:
            skipped.append(topic)
            continue
        groups[(len(levels), *style.signature())].append((levels, style))
    machines: dict[str, DraftMachine] = {}
    mappings = []
    for (depth, *_), members in groups.items():
        style = members[0][1]
        mlevel = depth - 2 if style.kind == "bare" else depth - 1
        pattern = list(members[0][0])
        for i in range(depth):
            if len({m[0][i] for m in members}) > 1:
                pattern[i] = "+"
        pattern[mlevel] = "{machine}"
        if style.kind == "bare":
            pattern[depth - 1] = "{signal}"
        mapping: dict[str, Any] = {"topic": "/".join(pattern)}
        if style.kind == "flat":
            mapping["flat"] = True
            ignored = sorted({k for _, st in members for k in st.texts})
            if ignored:
                mapping["ignore"] = ignored
        elif style.kind == "records":
            mapping |= {
                "records": style.records_key,
                "signal": style.name_key,
                "value": style.value_key,
            }
        if style.time_key:
            mapping |= {"time": style.time_key, "time_unit": style.time_unit}
        mappings.append(mapping)
        for levels, s in members:
            mid = levels[mlevel]  # as the topic says it: the mapping takes it from there
            machine = machines.setdefault(
                mid, DraftMachine(mid, "line1", note=f"from {prefix}{'/'.join(levels)}")
            )
            named = {levels[-1]: s.signals[""]} if s.kind == "bare" else s.signals
            topic = f"{prefix}{'/'.join(levels)}"
            period = round(max((periods or {}).get(topic, 1.0), 0.001), 3)
            known = {x.id for x in machine.signals}
            for name, value in named.items():
                if name not in known:
                    machine.signals.append(
                        DraftSignal(name, value=value, period_s=period, note="seen on MQTT")
                    )
            for key, text in s.texts.items():
                if machine.state is None and tag_role(key) == "state":
                    machine.state = DraftTag({"kind": "mqtt", "topic": topic, "field": key}, text)
    return list(machines.values()), mappings, skipped


def mqtt_parts(
    name: str,
    host: str,
    port: int,
    root: str,
    seen: dict[str, list[bytes]],
    periods: dict[str, float] | None = None,
) -> tuple[list[DraftMachine], list[str]]:
    """Draft machines and the MQTT source's lines (a client id of the plant's own)."""
    machines, mappings, skipped = propose(seen, root, periods)
    source = [
        "    - kind: mqtt",
        f"      host: {host}",
        f"      port: {port}",
        f"      client_id: {json.dumps('jayul-ingest-' + name)}  # keep it fixed: the session",
        f"      topic_root: {json.dumps(root.rstrip('/'))}",
        "      mappings:",
    ]
    source += [f"        - {json.dumps(m)}" for m in mappings]
    if skipped:
        source.append(f"      # no style recognised on: {', '.join(skipped[:10])}")
    return machines, source


def mqtt_draft(name: str, host: str, port: int, root: str, seen: dict[str, list[bytes]]) -> str:
    """A plant file draft with an MQTT source and the proposed mappings."""
    machines, source = mqtt_parts(name, host, port, root, seen)
    return draft_yaml(name, machines, ["  sources:", *source])
