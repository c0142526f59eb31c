"""Connection drops while running: noticed within a bounded time, shown per source (connected,
stale, disconnected, last seen), recorded as alert events, and reconnected with backoff.
Against a Mosquitto of the test's own that the test stops and starts again, an asyncua server
and a Modbus device (pymodbus) each stopped and started on the same port."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from jayul.connect.bindings import (
    Bindings,
    Connect,
    ModbusSource,
    MqttSource,
    OpcUaNode,
    OpcUaSource,
    Register,
)
from jayul.connect.ingest import Ingest
from jayul.connect.links import Link, LinkBoard, LinkWatch
from jayul.historian.open import open_historian
from jayul.plant import Plant
from jayul.records import EventKind

sys.path.insert(0, str(Path(__file__).parent))  # the PLC server beside this file
from conftest import OwnBroker
from plc_server import PlcServer, free_port

S = 10**9


def _until(what: Callable[[], bool], within_s: float) -> float:
    """Seconds until `what()` holds; fails after `within_s`."""
    t0 = time.monotonic()
    while not what():
        assert time.monotonic() - t0 < within_s, f"not within {within_s} s"
        time.sleep(0.05)
    return time.monotonic() - t0


def _state(ingest: Ingest) -> str:
    return str(ingest.devices()["sources"][0]["state"])


def _connection_events(url: str) -> list[tuple[str, str]]:
    with open_historian(url) as h:
        events = h.query_events(kinds=[EventKind.ALERT])
    return [
        (e.payload["previous"], e.payload["state"])
        for e in events
        if e.payload.get("detector") == "connection"
    ]


def test_states_and_one_event_per_change() -> None:
    mqtt = Link("connect.sources[0]", "mqtt", "h:1883", can_go_stale=True)
    opcua = Link("connect.sources[1]", "opcua", "opc.tcp://h:4840")
    board = LinkBoard([mqtt, opcua], stale_after_s=10.0)
    watch = LinkWatch(board)
    assert [s["state"] for s in board.states()] == ["connecting", "connecting"]
    mqtt.connected()
    opcua.connected()
    t0 = mqtt.since_ns
    assert t0 is not None
    assert watch.events(t0) == []  # both up: the first connection is not news
    mqtt.seen(t0 + 5 * S)
    assert watch.events(t0 + 14 * S) == []
    later = watch.events(t0 + 16 * S)  # MQTT silent 11 s; OPC UA reports changes only
    assert [(e.payload["source"], e.payload["state"]) for e in later] == [
        ("connect.sources[0]", "stale")
    ]
    assert "silent for more than 10 s" in later[0].payload["reason"]
    opcua.dropped("ConnectionError: closed", retry_in_s=2.0)
    opcua.dropped("TimeoutError: again", retry_in_s=4.0)  # a retry failed: still one drop
    down = watch.events(t0 + 17 * S)
    assert [e.payload["state"] for e in down] == ["disconnected"]
    assert "disconnected: TimeoutError: again; retrying in 4 s" in down[0].payload["reason"]
    assert board.states()[1]["drops"] == 1


def test_a_broker_that_goes_away_is_noticed_and_reconnected(
    plant: Plant, own_broker: OwnBroker, tmp_path: Path, tag: str
) -> None:
    url = f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    src = MqttSource(
        kind="mqtt", port=own_broker.port, topic_root=f"t/{tag}", client_id=f"links-{tag}"
    )
    b = Bindings(plant, Connect(sources=[src]), tmp_path / "p.yaml")
    ingest = Ingest(b, historian=url, buffer=tmp_path / "buf", watch_s=0.2).start()
    try:
        _until(lambda: _state(ingest) == "connected", 10)
        sample = f'{{"t": {time.time_ns()}, "v": 41.0}}'
        subprocess.run(
            ["mosquitto_pub", "-p", str(own_broker.port), "-q", "1",
             "-t", f"t/{tag}/pump1/flow", "-m", sample],
            check=True, timeout=10,
        )  # fmt: skip
        _until(lambda: ingest.devices()["sources"][0]["last_seen_ns"] is not None, 10)
        own_broker.stop()
        noticed = _until(lambda: _state(ingest) == "disconnected", 5)  # closed: at once
        print(f"MQTT broker stopped: disconnected after {noticed:.2f} s")
        board = ingest.devices()["sources"][0]
        assert board["drops"] == 1 and "connection closed or lost" in board["last_error"]
        assert board["last_seen_ns"] is not None
        own_broker.start()
        _until(lambda: _state(ingest) == "connected", 20)  # paho's backoff: 1 s to 8 s
        assert ingest.devices()["sources"][0]["connects"] == 2
        time.sleep(0.5)  # the watcher's next look
        assert [s["state"] for s in ingest.devices()["sources"]] == ["connected"]
    finally:
        ingest.stop()
    assert _connection_events(url) == [
        ("connected", "disconnected"),
        ("disconnected", "connected"),
    ]


def test_an_opcua_server_that_stops_is_noticed_and_reconnected(
    plant: Plant, tmp_path: Path
) -> None:
    plc = PlcServer().start()
    url = f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    nodes = [OpcUaNode(machine="pump1", signal="flow", node_id=plc.node_ids["FT101"])]
    src = OpcUaSource(
        kind="opcua", endpoint=plc.endpoint, nodes=nodes, timeout_s=3.0,
        publishing_interval_ms=100,
    )  # fmt: skip
    b = Bindings(plant, Connect(sources=[src]), tmp_path / "p.yaml")
    ingest = Ingest(b, historian=url, buffer=tmp_path / "buf", watch_s=0.2).start()
    servers = [plc]
    try:
        _until(lambda: _state(ingest) == "connected", 15)
        _until(lambda: ingest.devices()["sources"][0]["last_seen_ns"] is not None, 10)
        servers.pop().stop()
        # the session is probed every timeout_s / 3; a closed one fails the next probe
        noticed = _until(lambda: _state(ingest) == "disconnected", 3 * 3.0)
        print(f"OPC UA server stopped: disconnected after {noticed:.2f} s")
        servers.append(PlcServer(port=plc.port).start())
        _until(lambda: _state(ingest) == "connected", 20)  # backoff 0.5 s to 10 s
        time.sleep(0.5)
    finally:
        ingest.stop()
        for server in servers:
            server.stop()
    assert _connection_events(url) == [("connected", "disconnected"), ("disconnected", "connected")]


class ModbusDevice:
    """A pymodbus TCP server on its own loop and thread, on `port`, until `stop()`."""

    def __init__(self, port: int) -> None:
        from pymodbus.datastore import (
            ModbusDeviceContext,
            ModbusSequentialDataBlock,
            ModbusServerContext,
        )
        from pymodbus.server import ModbusTcpServer

        device = ModbusDeviceContext(hr=ModbusSequentialDataBlock(1, [4210] * 4))  # type: ignore[no-untyped-call]
        self.loop = asyncio.new_event_loop()
        self.server: ModbusTcpServer | None = None

        async def serve() -> None:  # pymodbus builds its server inside a running loop
            self.server = ModbusTcpServer(
                ModbusServerContext(devices=device), address=("127.0.0.1", port)
            )
            await self.server.serve_forever()

        self.thread = threading.Thread(
            target=self.loop.run_until_complete, args=(serve(),), daemon=True
        )
        self.thread.start()
        _until(lambda: self.server is not None, 5)

    def stop(self) -> None:
        assert self.server is not None
        stopping = self.server.shutdown()  # type: ignore[no-untyped-call]
        asyncio.run_coroutine_threadsafe(stopping, self.loop).result(5)
        self.thread.join(5)


def test_a_modbus_device_that_goes_away_is_noticed_at_the_next_poll(
    plant: Plant, tmp_path: Path
) -> None:
    port = free_port()
    device = ModbusDevice(port)
    url = f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    reg = Register(machine="pump1", signal="flow", address=0, scale=0.01)
    cfg = ModbusSource(kind="modbus", port=port, poll_s=0.2, registers=[reg])
    b = Bindings(plant, Connect(sources=[cfg]), tmp_path / "p.yaml")
    ingest = Ingest(b, historian=url, buffer=tmp_path / "buf", watch_s=0.2).start()
    devices = [device]
    try:
        _until(lambda: _state(ingest) == "connected", 5)
        devices.pop().stop()
        noticed = _until(lambda: _state(ingest) == "disconnected", 3)  # the next poll fails
        print(f"Modbus device stopped: disconnected after {noticed:.2f} s")
        devices.append(ModbusDevice(port))
        _until(lambda: _state(ingest) == "connected", 15)  # backoff 0.5 s to 10 s
        time.sleep(0.5)
    finally:
        ingest.stop()
        for d in devices:
            d.stop()
    assert _connection_events(url) == [("connected", "disconnected"), ("disconnected", "connected")]
