"""OPC UA source (asyncua client): subscribe to bound variables, buffer every data change.

The client runs its own asyncio loop on a thread. It resolves the bound variables (jayul's
address-space scheme by default, or explicit node ids), creates one subscription with the
configured publishing interval and a per-item queue on the server (so changes between two
publishes are not collapsed), and drains notifications from an unbounded queue (asyncua's
iterator mode, so no notification is dropped on the client side). Every `flush_s` it hands
the changes, machine by machine, to the intake and syncs the buffer. When the connection
fails it reconnects with exponential backoff and subscribes again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.subscription import DataChangeEvent

from jayul.connect.bindings import Bindings
from jayul.connect.bindings import OpcUaSource as OpcUaSourceConfig
from jayul.connect.intake import Intake
from jayul.connect.links import Link
from jayul.connect.opcua_common import (
    configure_client,
    namespace_uri,
    node_id,
    quality_of,
    signal_id,
)
from jayul.connect.validate import Candidates
from jayul.records import to_ns, utc_now_ns

log = logging.getLogger(__name__)


@dataclass
class OpcUaStats:
    changes: int = 0
    sessions: int = 0
    subscribed: int = 0
    last_error: str = ""


class OpcUaSource:
    """Feeds an `Intake` from OPC UA subscriptions (see module doc)."""

    def __init__(
        self,
        config: OpcUaSourceConfig,
        bindings: Bindings,
        intake: Intake,
        flush_s: float = 0.1,
        backoff_s: tuple[float, float] = (0.5, 10.0),
    ) -> None:
        self.config = config
        self.bindings = bindings
        self.intake = intake
        self.flush_s = flush_s
        self.backoff_s = backoff_s
        self.stats = OpcUaStats()
        self.subscribed = threading.Event()
        self.link = Link("", "opcua", config.endpoint)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def start(self) -> OpcUaSource:
        ready = threading.Event()

        def main() -> None:
            async def run() -> None:
                self._loop = asyncio.get_running_loop()
                self._stop = asyncio.Event()
                ready.set()
                await self._supervise()

            asyncio.run(run())

        self._thread = threading.Thread(target=main, name="jayul-opcua-source", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(15)
        self.intake.sync()

    async def _supervise(self) -> None:
        assert self._stop is not None
        delay = self.backoff_s[0]
        while not self._stop.is_set():
            try:
                await self._session()
                delay = self.backoff_s[0]
            except Exception as exc:  # server gone, refused, timed out: wait and reconnect
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                self.link.dropped(self.stats.last_error or type(exc).__name__, delay)
                log.warning(
                    "OPC UA %s: %s; reconnecting in %.1f s", self.config.endpoint, exc, delay
                )
            self.subscribed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)
            delay = min(delay * 2, self.backoff_s[1])

    async def _resolve(self, client: Client) -> dict[ua.NodeId, tuple[str, str]]:
        if self.config.nodes:
            return {
                ua.NodeId.from_string(n.node_id): (n.machine, n.signal) for n in self.config.nodes
            }
        plant = self.bindings.plant
        ns = await client.get_namespace_index(namespace_uri(plant.name))
        return {
            node_id(signal_id(m.id, s.id), ns): (m.id, s.id)
            for m in plant.machines
            for s in plant.machine_type(m.id).signals
        }

    async def _session(self) -> None:
        assert self._stop is not None
        # asyncua probes the server every `watchdog_intervall` s with that as the timeout (1 s by
        # default): a server busy with thousands of items answers later, which is not a loss
        client = Client(
            self.config.endpoint,
            timeout=self.config.timeout_s,
            watchdog_intervall=self.config.timeout_s / 3,
        )
        await configure_client(client, self.config.security, self.bindings.path.parent)
        async with client:
            self.stats.sessions += 1
            names = await self._resolve(client)
            sub = await client.create_subscription(
                self.config.publishing_interval_ms, None, queue_maxsize=0
            )
            nodes = [client.get_node(n) for n in names]
            self.stats.subscribed = 0
            for i in range(0, len(nodes), 1000):  # in chunks, so the server keeps answering
                results = await sub.subscribe_data_change(  # type: ignore[call-overload]
                    nodes[i : i + 1000], queuesize=self.config.queue_size, sampling_interval=0.0
                )
                self.stats.subscribed += sum(1 for r in results if isinstance(r, int))
            self.subscribed.set()
            self.link.connected()
            await self._pump(client, sub, names)

    async def _pump(
        self, client: Client, sub: Any, names: dict[ua.NodeId, tuple[str, str]]
    ) -> None:
        assert self._stop is not None
        pending: list[tuple[str, str, int, float, int]] = []

        async def consume() -> None:
            async for event in sub:
                if isinstance(event, DataChangeEvent):
                    pending.append(self._row(event, names))

        consumer = asyncio.create_task(consume())
        ticks = 0
        try:
            while not self._stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.flush_s)
                if consumer.done():
                    consumer.result()  # raises what ended it
                    raise ConnectionError("the subscription ended")
                rows, pending[:] = list(pending), []
                self._flush(rows)
                ticks += 1
                if ticks % max(int(self.config.timeout_s / 3 / self.flush_s), 1) == 0:
                    # a dead session shows here (a read times out), not in the queue
                    await client.nodes.server_state.read_value()
        finally:
            consumer.cancel()
            self._flush(list(pending))

    def _row(
        self, event: DataChangeEvent, names: dict[ua.NodeId, tuple[str, str]]
    ) -> tuple[str, str, int, float, int]:
        machine, signal = names.get(event.node.nodeid, ("?", str(event.node.nodeid)))
        dv = event.data.monitored_item.Value
        stamp = dv.SourceTimestamp or dv.ServerTimestamp
        t = to_ns(stamp) if stamp is not None else utc_now_ns()
        try:
            v = float(event.value) if event.value is not None else float("nan")
        except (TypeError, ValueError):
            v = float("nan")
        return machine, signal, t, v, quality_of(dv.StatusCode)

    def _flush(self, rows: list[tuple[str, str, int, float, int]]) -> None:
        if not rows:
            return
        self.stats.changes += len(rows)
        self.link.seen()
        by_machine: dict[str, list[tuple[str, str, int, float, int]]] = {}
        for r in rows:
            by_machine.setdefault(r[0], []).append(r)
        for machine, rs in by_machine.items():
            c = Candidates(
                machine,
                [r[1] for r in rs],
                np.fromiter((r[2] for r in rs), np.int64, len(rs)),
                np.fromiter((r[3] for r in rs), np.float64, len(rs)),
                np.fromiter((r[4] for r in rs), np.int64, len(rs)),
            )
            self.intake.put(c, [], f"opcua:{self.config.endpoint}")
        self.intake.sync()
