"""Modbus TCP source (pymodbus): poll a register map, decode, scale, buffer.

Each bound register names its table (holding or input), address, type (int16, uint16, int32,
uint32, float32), scale and offset (value = raw * scale + offset), byte order within a 16-bit
word and word order of 32-bit values (big, big is the Modbus convention; "CDAB" devices are
word_order little). Registers are read in as few requests as the map allows (at most 125
registers each); every poll's values are stamped with the poll time. A failed poll drops the
connection and retries with exponential backoff.
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from dataclasses import dataclass

import numpy as np
from pymodbus.client import ModbusTcpClient

from jayul.connect.bindings import ModbusSource as ModbusSourceConfig
from jayul.connect.bindings import Register
from jayul.connect.intake import Intake
from jayul.connect.links import Link
from jayul.connect.validate import Candidates
from jayul.records import utc_now_ns

log = logging.getLogger(__name__)

_FORMATS = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "float32": ">f"}
MAX_READ = 125  # registers per Modbus read request


def decode_register(words: list[int], reg: Register) -> float:
    """The engineering value of one register's words (as read, in address order)."""
    ws = list(words)
    if reg.word_order == "little":
        ws.reverse()
    raw = b"".join(w.to_bytes(2, "big") for w in ws)
    if reg.byte_order == "little":
        raw = b"".join(raw[i : i + 2][::-1] for i in range(0, len(raw), 2))
    (value,) = struct.unpack(_FORMATS[reg.type], raw)
    return float(value) * reg.scale + reg.offset


def read_plan(registers: list[Register]) -> list[tuple[str, int, int]]:
    """(table, start, count) requests covering every register, each at most MAX_READ long."""
    plan: list[tuple[str, int, int]] = []
    for table in ("holding", "input"):
        spans = sorted((r.address, r.address + r.words) for r in registers if r.table == table)
        for lo, hi in spans:
            if plan and plan[-1][0] == table and hi - plan[-1][1] <= MAX_READ:
                start = plan[-1][1]
                plan[-1] = (table, start, max(plan[-1][2], hi - start))
            else:
                plan.append((table, lo, hi - lo))
    return plan


@dataclass
class ModbusStats:
    polls: int = 0
    failures: int = 0
    last_error: str = ""


class ModbusSource:
    """Feeds an `Intake` by polling a Modbus TCP device (see module doc)."""

    def __init__(
        self,
        config: ModbusSourceConfig,
        intake: Intake,
        backoff_s: tuple[float, float] = (0.5, 10.0),
    ) -> None:
        self.config = config
        self.intake = intake
        self.backoff_s = backoff_s
        self.plan = read_plan(config.registers)
        self.stats = ModbusStats()
        self.link = Link("", "modbus", f"{config.host}:{config.port}")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ModbusSource:
        self._thread = threading.Thread(target=self._run, name="jayul-modbus", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self.intake.sync()

    def poll_once(self, client: ModbusTcpClient) -> None:
        """Read every register once and put the values into the intake."""
        words: dict[tuple[str, int], int] = {}
        for table, start, count in self.plan:
            read = (
                client.read_holding_registers if table == "holding" else client.read_input_registers
            )
            result = read(start, count=count, device_id=self.config.unit)
            if result.isError():
                raise ConnectionError(f"Modbus read {table} {start}+{count}: {result}")
            for k, w in enumerate(result.registers):
                words[(table, start + k)] = int(w)
        now = utc_now_ns()
        by_machine: dict[str, tuple[list[str], list[float]]] = {}
        for reg in self.config.registers:
            value = decode_register(
                [words[(reg.table, reg.address + k)] for k in range(reg.words)], reg
            )
            names, values = by_machine.setdefault(reg.machine, ([], []))
            names.append(reg.signal)
            values.append(value)
        for machine, (names, values) in by_machine.items():
            n = len(names)
            c = Candidates(
                machine,
                names,
                np.full(n, now, np.int64),
                np.asarray(values, np.float64),
                np.zeros(n, np.int64),
            )
            self.intake.put(c, [], f"modbus:{self.config.host}:{self.config.port}")
        self.intake.sync()
        self.stats.polls += 1

    def _run(self) -> None:
        delay = self.backoff_s[0]
        client: ModbusTcpClient | None = None
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                if client is None:
                    client = ModbusTcpClient(self.config.host, port=self.config.port, timeout=3)
                    if not client.connect():  # type: ignore[no-untyped-call]
                        raise ConnectionError(f"no Modbus device at {self.config.host}")
                self.poll_once(client)
                if not self.link.up:
                    self.link.connected()
                self.link.seen()
                delay = self.backoff_s[0]
                wait = max(self.config.poll_s - (time.monotonic() - started), 0.0)
            except Exception as exc:  # device gone or answering errors: reconnect later
                self.stats.failures += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("Modbus %s: %s; retrying in %.1f s", self.config.host, exc, delay)
                self.link.dropped(self.stats.last_error, delay)
                if client is not None:
                    client.close()  # type: ignore[no-untyped-call]
                client = None
                wait, delay = delay, min(delay * 2, self.backoff_s[1])
            self._stop.wait(wait)
        if client is not None:
            client.close()  # type: ignore[no-untyped-call]
