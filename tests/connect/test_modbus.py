"""Modbus TCP: register decoding (types, scale, byte and word order) and polling a real
pymodbus server on a free port."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from pathlib import Path

import pytest
from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusTcpServer

from jayul.connect.bindings import Bindings, Connect, ModbusSource, Register
from jayul.connect.ingest import Ingest
from jayul.connect.modbus_source import decode_register, read_plan
from jayul.historian import open_historian
from jayul.plant import Plant


def reg(**kw: object) -> Register:
    args: dict[str, object] = {"machine": "pump1", "signal": "flow", "address": 0, **kw}
    return Register(**args)  # type: ignore[arg-type]


def words_of(fmt: str, value: float) -> list[int]:
    raw = struct.pack(fmt, value)
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]


@pytest.mark.parametrize(
    ("kind", "fmt", "value"),
    [
        ("int16", ">h", -1234),
        ("uint16", ">H", 54321),
        ("int32", ">i", -123456789),
        ("uint32", ">I", 4000000000),
        ("float32", ">f", 42.5),
    ],
)
def test_decode_types_big_endian(kind: str, fmt: str, value: float) -> None:
    assert decode_register(words_of(fmt, value), reg(type=kind)) == pytest.approx(value)


def test_decode_scale_offset_and_orders() -> None:
    assert decode_register([4210], reg(scale=0.01, offset=-1.0)) == pytest.approx(41.1)
    w = words_of(">f", 42.5)
    assert decode_register(list(reversed(w)), reg(type="float32", word_order="little")) == 42.5
    swapped = [int.from_bytes(x.to_bytes(2, "big")[::-1], "big") for x in w]
    assert decode_register(swapped, reg(type="float32", byte_order="little")) == 42.5
    assert decode_register([0x3412], reg(type="uint16", byte_order="little")) == 0x1234


def test_read_plan_merges_and_splits() -> None:
    regs = [
        reg(address=0),
        reg(address=1, type="float32"),
        reg(address=200),
        Register(machine="pump1", signal="flow", address=5, table="input"),
    ]
    assert read_plan(regs) == [("holding", 0, 3), ("holding", 200, 1), ("input", 5, 1)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_polls_a_real_device(plant: Plant, tmp_path: Path) -> None:
    hr = [0] * 10
    hr[0] = 4210  # flow 42.10 m3/h, int16 scaled by 0.01
    hr[2:4] = list(reversed(words_of(">f", 6.25)))  # pressure, float32 CDAB
    ir = [0] * 4
    ir[1] = 551  # bearing temperature 55.1 degC, uint16 x 0.1
    device = ModbusDeviceContext(
        hr=ModbusSequentialDataBlock(1, hr), ir=ModbusSequentialDataBlock(1, ir)
    )
    port = free_port()
    loop = asyncio.new_event_loop()
    servers: list[ModbusTcpServer] = []

    async def serve() -> None:  # pymodbus builds its server inside a running loop
        servers.append(
            ModbusTcpServer(ModbusServerContext(devices=device), address=("127.0.0.1", port))
        )
        await servers[0].serve_forever()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    time.sleep(0.5)
    cfg = ModbusSource(
        kind="modbus",
        port=port,
        poll_s=0.2,
        registers=[
            Register(machine="pump1", signal="flow", address=0, scale=0.01),
            Register(
                machine="pump1", signal="pressure", address=2, type="float32", word_order="little"
            ),
            Register(
                machine="pump2",
                signal="bearing_temp",
                address=1,
                table="input",
                type="uint16",
                scale=0.1,
            ),
        ],
    )
    url = f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    ingest = Ingest(
        Bindings(plant, Connect(sources=[cfg]), tmp_path / "p.yaml"),
        historian=url,
        buffer=tmp_path / "b",
    )
    ingest.start()
    time.sleep(1.5)
    ingest.stop()
    asyncio.run_coroutine_threadsafe(servers[0].shutdown(), loop).result(5)
    polls = ingest.sources[0].stats.polls  # type: ignore[attr-defined]
    assert polls >= 3
    with open_historian(url) as h:
        assert h.count_samples() == 3 * polls
        pump1 = h.query_samples("pump1", 0, 2**62)
        pump2 = h.query_samples("pump2", 0, 2**62)
    assert pump1[pump1.signal == "flow"].value.iloc[0] == pytest.approx(42.10)
    assert pump1[pump1.signal == "pressure"].value.iloc[0] == pytest.approx(6.25)
    assert pump2.value.iloc[0] == pytest.approx(55.1)
