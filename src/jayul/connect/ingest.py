"""The ingest pipeline a plant file binds: sources -> intake -> durable buffer -> historian.

    with Ingest(load_bindings("plant.yaml")) as ingest:
        ...  # samples flow until the block ends

`historian` and `buffer` override the file's `connect.historian` and `connect.buffer` (whose
relative paths are taken from the plant file's folder).
`on_stored` is called (on the writer thread) with each batch once it is stored, which is where
the health monitor and the benchmarks' latency counters hook in.

While it runs, a watcher thread reads every source's connection (`jayul.connect.links`) each
`watch_s` and stores each change of state (disconnected, stale, reconnected) as an alert event
with the next batch, and logs it; `devices()` is the board the API serves (`/api/devices`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from jayul.connect.bindings import Bindings, ModbusSource, MqttSource, OpcUaSource
from jayul.connect.buffer import DurableBuffer
from jayul.connect.crash_guard import CrashGuard
from jayul.connect.intake import Intake
from jayul.connect.links import Link, LinkBoard, LinkWatch
from jayul.connect.validate import SignalTable
from jayul.connect.writer import HistorianWriter
from jayul.records import Samples, utc_now_ns

log = logging.getLogger(__name__)


class Source(Protocol):
    """A running source: it puts what it receives into an `Intake`."""

    def start(self) -> object: ...

    def stop(self) -> None: ...

    link: Link


def make_source(bindings: Bindings, index: int, intake: Intake) -> Source:
    """The source `connect.sources[index]` of a plant file, feeding `intake`, its link named."""
    source = _make_source(bindings, index, intake)
    source.link.id = f"connect.sources[{index}]"
    return source


def stale_after_s(bindings: Bindings, index: int | None = None) -> float:
    """How long a connected source may deliver nothing before it reads as stale: the "no data"
    number of periods (`connect.no_data.periods`) of the shortest sampling period among the
    signals it carries (`connect.sources[index]`; the whole plant's without an index). A
    gateway publishing every 5 s beside a PLC sampled every second is not stale after 5 s."""
    plant = bindings.plant
    periods = {
        (m.id, s.id): s.period_s for m in plant.machines for s in plant.machine_type(m.id).signals
    }
    carried = set(periods) if index is None else source_signals(bindings, index) or set(periods)
    shortest = min(periods[x] for x in carried)
    return max(bindings.connect.no_data.periods * shortest, 1.0)


def source_signals(bindings: Bindings, index: int) -> set[tuple[str, str]]:
    """The (machine, signal) pairs `connect.sources[index]` can deliver: those its nodes or
    registers bind, or for a source that binds none (MQTT) those no other source binds."""

    def bound(cfg: object) -> set[tuple[str, str]] | None:
        if isinstance(cfg, OpcUaSource) and cfg.nodes is not None:
            return {(n.machine, n.signal) for n in cfg.nodes}
        if isinstance(cfg, ModbusSource):
            return {(r.machine, r.signal) for r in cfg.registers}
        return None

    sources = bindings.connect.sources
    own = bound(sources[index])
    if own is not None:
        return own
    elsewhere = set().union(*(bound(c) or set() for i, c in enumerate(sources) if i != index))
    plant = bindings.plant
    every = {(m.id, s.id) for m in plant.machines for s in plant.machine_type(m.id).signals}
    return every - elsewhere


def _make_source(bindings: Bindings, index: int, intake: Intake) -> Source:
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
        watch_s: float = 1.0,
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
        self.sources: list[Source] = []
        for i, cfg in enumerate(bindings.connect.sources):
            if not (isinstance(cfg, OpcUaSource) and cfg.nodes == []):
                source = make_source(bindings, i, self.intake)
                source.link.stale_after_s = stale_after_s(bindings, i)
                self.sources.append(source)
        self.links = LinkBoard([s.link for s in self.sources], stale_after_s(bindings))
        self.link_watch = LinkWatch(self.links)
        self.watch_s = watch_s
        self._watching = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> Ingest:
        self.writer.start()
        for s in self.sources:
            s.start()
        self._watcher = threading.Thread(target=self._watch, name="jayul-links", daemon=True)
        self._watcher.start()
        return self

    def _watch(self) -> None:
        while not self._watching.wait(self.watch_s):
            changes = self.link_watch.events()
            for e in changes:
                log.warning("%s", e.payload["reason"])
            if changes:
                self.writer.add_events(changes)

    def devices(self) -> dict[str, Any]:
        """The device-health board: per source its connection (`jayul.connect.links`), per
        source kind and per plant signal what arrived (`HealthBoard`), each signal `ok`,
        `silent` (longer than its "no data" limit) or `never` (nothing since jayul started)."""
        now = utc_now_ns()
        seen = self.intake.board.snapshot()
        no_data = self.bindings.connect.no_data
        signals = []
        for m in self.bindings.plant.machines:
            for sig in self.bindings.plant.machine_type(m.id).signals:
                key = f"{m.id}.{sig.id}"
                got = seen["signals"].get(key, {"last_seen_ns": None, "samples": 0})
                limit_s = no_data.signals.get(key, no_data.periods) * sig.period_s
                last = got["last_seen_ns"]
                state = "never" if last is None else "ok"
                if last is not None and (now - last) / 1e9 > limit_s:
                    state = "silent"
                signals.append(
                    {"machine": m.id, "signal": sig.id, "state": state, "limit_s": limit_s, **got}
                )
        return {
            "now_ns": now,
            "sources": self.links.states(now),
            "kinds": seen["sources"],  # per source kind: samples, dead letters, rate
            "signals": signals,
        }

    def failure(self) -> str | None:
        """Why ingestion cannot go on (a source or the writer gave up), or None while it runs.
        A caller such as `jayul run` stops with this error rather than run on storing nothing."""
        for s in self.sources:
            why = getattr(s, "failure", None)
            if why:
                return str(why)
        return self.writer.failure

    def stop(self, drain_s: float = 5.0) -> None:
        self._watching.set()
        if self._watcher is not None:
            self._watcher.join(5)
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
