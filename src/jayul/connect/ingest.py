"""The ingest pipeline a plant file binds: sources -> intake -> durable buffer -> historian.

    with Ingest(load_bindings("plant.yaml")) as ingest:
        ...  # samples flow until the block ends

`historian` and `buffer` override the file's `connect.historian` and `connect.buffer` (whose
relative paths are taken from the plant file's folder).
`on_stored` is called (on the writer thread) with each batch once it is stored, which is where
the health monitor and the benchmarks' latency counters hook in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Protocol

from jayul.connect.bindings import Bindings, ModbusSource, MqttSource, OpcUaSource
from jayul.connect.buffer import DurableBuffer
from jayul.connect.crash_guard import CrashGuard
from jayul.connect.intake import Intake
from jayul.connect.validate import SignalTable
from jayul.connect.writer import HistorianWriter
from jayul.records import Samples


class Source(Protocol):
    """A running source: it puts what it receives into an `Intake`."""

    def start(self) -> object: ...

    def stop(self) -> None: ...


def make_source(bindings: Bindings, index: int, intake: Intake) -> Source:
    """The source `connect.sources[index]` of a plant file, feeding `intake`."""
    cfg = bindings.connect.sources[index]
    limits = bindings.connect.limits
    if isinstance(cfg, MqttSource):
        from jayul.connect.mqtt_source import MqttSource as Mqtt

        root = (cfg.topic_root or "spBv1.0") if cfg.format == "sparkplug" else None
        root = root or bindings.topic_root(cfg.topic_root)
        return Mqtt(cfg, root, intake, limits.max_message_bytes, base=bindings.path.parent)
    if isinstance(cfg, OpcUaSource):
        from jayul.connect.opcua_source import OpcUaSource as OpcUa

        return OpcUa(cfg, bindings, intake)
    if isinstance(cfg, ModbusSource):
        from jayul.connect.modbus_source import ModbusSource as Modbus

        return Modbus(cfg, intake)
    raise ValueError(f"unknown source kind {cfg!r}")


class Ingest:
    """Every source of a plant file feeding one buffer and one historian writer."""

    def __init__(
        self,
        bindings: Bindings,
        *,
        historian: str | None = None,
        buffer: Path | str | None = None,
        on_stored: Callable[[Samples], None] | None = None,
    ) -> None:
        self.bindings = bindings
        self.buffer = DurableBuffer(buffer or bindings.buffer_dir())
        self.crash_guard = CrashGuard(self.buffer.dir / "decoding")
        self.intake = Intake(
            self.buffer,
            SignalTable(bindings.plant, bindings.connect.limits),
            crash_guard=self.crash_guard,
        )
        self.writer = HistorianWriter(
            self.buffer, historian or bindings.historian_url(), on_stored=on_stored
        )
        # an OPC UA source with `nodes: []` serves only state tags (connect.machines), no signals
        self.sources: list[Source] = [
            make_source(bindings, i, self.intake)
            for i, cfg in enumerate(bindings.connect.sources)
            if not (isinstance(cfg, OpcUaSource) and cfg.nodes == [])
        ]

    def start(self) -> Ingest:
        self.writer.start()
        for s in self.sources:
            s.start()
        return self

    def failure(self) -> str | None:
        """Why ingestion cannot go on (a source or the writer gave up), or None while it runs.
        A caller such as `jayul run` stops with this error rather than run on storing nothing."""
        for s in self.sources:
            why = getattr(s, "failure", None)
            if why:
                return str(why)
        return self.writer.failure

    def stop(self, drain_s: float = 5.0) -> None:
        for s in self.sources:
            s.stop()
        self.writer.stop(drain_s)
        self.buffer.close()
        self.crash_guard.close()

    def __enter__(self) -> Ingest:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
