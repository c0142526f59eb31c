"""Machine state and run hours read from a real Modbus device (pymodbus server): a status
register with PLC codes, a float32 counter, and a coil as a running flag."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from pathlib import Path

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusTcpServer

from jayul.connect.bindings import parse_bindings
from jayul.connect.equipment import ConnectedPlant
from jayul.plant import demo_plant_path
from jayul.records import MachineState


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_state_and_counter_from_registers_and_a_coil() -> None:
    hours = struct.unpack(">HH", struct.pack(">f", 1234.5))
    hr = [3, 0, hours[0], hours[1], 0, 0]  # status code 3 (in service), counter float32 at 2
    device = ModbusDeviceContext(
        hr=ModbusSequentialDataBlock(1, hr), co=ModbusSequentialDataBlock(1, [True] * 4)
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
    text = f"""
plant_file: {demo_plant_path()}
connect:
  sources:
    - kind: modbus
      port: {port}
      poll_s: 0.2
      registers: [{{machine: pump1, signal: flow, address: 5}}]
  machines:
    - machine: pump1
      state: {{tag: {{kind: modbus, address: 0}}, map: {{"1": running, "3": maintenance}}}}
      run_hours: {{tag: {{kind: modbus, address: 2, type: float32}}, since: maintenance}}
    - machine: pump2
      state: {{tag: {{kind: modbus, table: coil, address: 0}}, map: {{"true": running}}}}
"""
    plant = ConnectedPlant(parse_bindings(text, Path("/plants/m.yaml")), []).start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            seen = plant.machines()  # every tag read at least once
            if seen["pump1"].run_hours_since and seen["pump2"].state is MachineState.RUNNING:
                break
            time.sleep(0.1)
        assert seen["pump1"].state is MachineState.MAINTENANCE
        assert seen["pump1"].run_hours_since["bearing_wear"] == 1234.5
        assert seen["pump2"].state is MachineState.RUNNING
        assert seen["pump2"].run_hours_since == {}  # no counter bound
        assert seen["press1"].state is MachineState.UNKNOWN  # nothing bound
    finally:
        plant.stop()
        asyncio.run_coroutine_threadsafe(servers[0].shutdown(), loop).result(10)
