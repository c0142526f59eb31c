"""Reading single values from equipment: machine states, run-hour counters, setpoints.

The plant file's `connect.machines` section binds each of them to a tag (an OPC UA node, an
MQTT topic or a Modbus register, see `jayul.connect.bindings`). One reader per source polls
(OPC UA, Modbus) or subscribes (MQTT) and keeps the latest value of each tag in `TagValues`;
the connected plant reads them when the autopilot asks. A tag that cannot be read or parsed
keeps no value (the plant then says UNKNOWN, or nothing) and the reason is logged once; it
never stops the loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from jayul.connect.bindings import (
    Bindings,
    ModbusSource,
    ModbusTag,
    MqttSource,
    MqttTag,
    OpcUaSource,
    OpcUaTag,
)
from jayul.records import utc_now_ns

log = logging.getLogger(__name__)

TagValue = float | str | bool
TagRef = OpcUaTag | MqttTag | ModbusTag


def tag_key(tag: TagRef) -> str:
    """A tag's identity, for the value store."""
    if isinstance(tag, OpcUaTag):
        return f"opcua:{tag.source or ''}:{tag.node_id}"
    if isinstance(tag, MqttTag):
        return f"mqtt:{tag.source or ''}:{tag.topic}:{tag.field or ''}"
    return f"modbus:{tag.source or ''}:{tag.table}:{tag.address}:{tag.type}"


@dataclass(frozen=True)
class Reading:
    value: TagValue
    time_ns: int


class TagValues:
    """The latest value of every tag, shared between reader threads and the loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, Reading] = {}
        self._changes: dict[str, list[Reading]] = {}  # values that differ from the one before
        self._said: set[str] = set()

    def put(self, key: str, value: TagValue) -> None:
        reading = Reading(value, utc_now_ns())
        with self._lock:
            before = self._values.get(key)
            self._values[key] = reading
            if before is None or before.value != value:
                self._changes.setdefault(key, []).append(reading)

    def changes(self, tag: TagRef) -> list[Reading]:
        """The tag's values since the last call, each change once (a state that came and went
        between two looks is still seen)."""
        with self._lock:
            return self._changes.pop(tag_key(tag), [])

    def get(self, tag: TagRef) -> Reading | None:
        with self._lock:
            return self._values.get(tag_key(tag))

    def problem(self, key: str, message: str) -> None:
        """Log a tag's problem once (a bad payload repeats every second otherwise)."""
        if key not in self._said:
            self._said.add(key)
            log.warning("%s", message)


def parse_payload(payload: bytes, field: str | None) -> TagValue:
    """An MQTT payload as a value: a number, true/false, or text; with `field`, that field of
    a JSON object. Raises ValueError when it is none of these."""
    text = payload.decode("utf-8").strip()
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError:
        data = text
    if field is not None:
        if not isinstance(data, dict) or field not in data:
            raise ValueError(f"no field {field!r} in the payload")
        data = data[field]
    if isinstance(data, bool | int | float | str):
        return float(data) if isinstance(data, int) and not isinstance(data, bool) else data
    raise ValueError(f"not a number, boolean or text: {text[:60]!r}")


def _source_for(bindings: Bindings, tag: TagRef) -> OpcUaSource | MqttSource | ModbusSource:
    wanted = {OpcUaTag: OpcUaSource, MqttTag: MqttSource, ModbusTag: ModbusSource}[type(tag)]
    for s in bindings.connect.sources:
        if isinstance(s, wanted) and (tag.source is None or s.name == tag.source):
            return s
    raise ValueError(f"no source for tag {tag_key(tag)}")  # the bindings check prevents this


class OpcUaTagReader:
    """Reads a server's bound nodes every `poll_s` seconds (one session, reopened on error)."""

    def __init__(
        self, source: OpcUaSource, tags: list[OpcUaTag], values: TagValues, base: Path
    ) -> None:
        self.source, self.tags, self.values, self.base = source, tags, values, base
        self.poll_s = min(source.publishing_interval_ms / 1000.0, 1.0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="jayul-opcua-tags", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _main(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        from asyncua.client.client import Client

        from jayul.connect.opcua_common import configure_client

        while not self._stop.is_set():
            try:
                client = Client(self.source.endpoint, timeout=self.source.timeout_s)
                await configure_client(client, self.source.security, self.base)
                async with client:
                    nodes = [client.get_node(t.node_id) for t in self.tags]
                    while not self._stop.is_set():
                        for tag, node in zip(self.tags, nodes, strict=True):
                            await self._read(tag, node)
                        await asyncio.sleep(self.poll_s)
            except (OSError, TimeoutError, ConnectionError) as exc:
                self.values.problem(
                    f"opcua:{self.source.endpoint}", f"OPC UA tags at {self.source.endpoint}: {exc}"
                )
                await asyncio.sleep(1.0)

    async def _read(self, tag: OpcUaTag, node: Any) -> None:
        from asyncua.ua.uaerrors import UaError

        try:
            value = await node.read_value()
        except UaError as exc:
            self.values.problem(tag_key(tag), f"OPC UA node {tag.node_id}: {exc}")
            return
        if isinstance(value, bool | str):
            self.values.put(tag_key(tag), value)
        elif isinstance(value, int | float):
            self.values.put(tag_key(tag), float(value))
        else:
            self.values.problem(tag_key(tag), f"OPC UA node {tag.node_id}: unusable {value!r}")


class MqttTagReader:
    """Subscribes to the bound topics and keeps each one's latest value."""

    def __init__(self, source: MqttSource, tags: list[MqttTag], values: TagValues) -> None:
        self.source, self.values = source, values
        self.by_topic: dict[str, list[MqttTag]] = {}
        for t in tags:
            self.by_topic.setdefault(t.topic, []).append(t)
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"{source.client_id}-tags", clean_session=True
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 8)

    def start(self) -> None:
        self.client.connect_async(self.source.host, self.source.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, *_args: Any) -> None:
        for topic in self.by_topic:
            client.subscribe(topic, qos=1)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        for tag in self.by_topic.get(msg.topic, []):
            try:
                self.values.put(tag_key(tag), parse_payload(bytes(msg.payload), tag.field))
            except (ValueError, UnicodeDecodeError) as exc:
                self.values.problem(tag_key(tag), f"MQTT topic {msg.topic}: {exc}")


_FORMATS = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "float32": ">f"}


def decode_words(words: list[int], tag: ModbusTag) -> float:
    ws = list(words)
    if tag.word_order == "little":
        ws.reverse()
    raw = b"".join(w.to_bytes(2, "big") for w in ws)
    if tag.byte_order == "little":
        raw = b"".join(raw[i : i + 2][::-1] for i in range(0, len(raw), 2))
    (value,) = struct.unpack(_FORMATS[tag.type], raw)
    return float(value) * tag.scale + tag.offset


class ModbusTagReader:
    """Polls the bound registers and coils every `poll_s` of their source."""

    def __init__(self, source: ModbusSource, tags: list[ModbusTag], values: TagValues) -> None:
        self.source, self.tags, self.values = source, tags, values
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="jayul-modbus-tags", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        from pymodbus.client import ModbusTcpClient
        from pymodbus.exceptions import ModbusException

        client: Any = ModbusTcpClient(self.source.host, port=self.source.port)
        while not self._stop.is_set():
            try:
                if not client.connected:
                    client.connect()
                for tag in self.tags:
                    self._read(client, tag)
            except (ModbusException, OSError, ConnectionError) as exc:
                self.values.problem(
                    f"modbus:{self.source.host}", f"Modbus tags at {self.source.host}: {exc}"
                )
                client.close()
            self._stop.wait(self.source.poll_s)
        client.close()

    def _read(self, client: Any, tag: ModbusTag) -> None:
        unit = self.source.unit
        if tag.table in ("coil", "discrete"):
            read = client.read_coils if tag.table == "coil" else client.read_discrete_inputs
            result = read(tag.address, count=1, device_id=unit)
            if result.isError():
                raise ConnectionError(f"read {tag.table} {tag.address}: {result}")
            self.values.put(tag_key(tag), bool(result.bits[0]))
            return
        words = 1 if tag.type in ("int16", "uint16") else 2
        read = (
            client.read_holding_registers if tag.table == "holding" else client.read_input_registers
        )
        result = read(tag.address, count=words, device_id=unit)
        if result.isError():
            raise ConnectionError(f"read {tag.table} {tag.address}: {result}")
        self.values.put(tag_key(tag), decode_words([int(w) for w in result.registers], tag))


Reader = OpcUaTagReader | MqttTagReader | ModbusTagReader


def make_readers(bindings: Bindings, tags: list[TagRef], values: TagValues) -> list[Reader]:
    """One reader per source that serves some of `tags`."""
    groups: dict[int, tuple[Any, list[Any]]] = {}
    for tag in tags:
        source = _source_for(bindings, tag)
        groups.setdefault(id(source), (source, []))[1].append(tag)
    readers: list[Reader] = []
    for source, group in groups.values():
        if isinstance(source, OpcUaSource):
            readers.append(OpcUaTagReader(source, group, values, bindings.path.parent))
        elif isinstance(source, MqttSource):
            readers.append(MqttTagReader(source, group, values))
        else:
            readers.append(ModbusTagReader(source, group, values))
    return readers
