"""A site's side of the fleet: what the loop offers passes the sharing policy, goes into the
durable outbox, and a publisher thread drains the outbox to NATS JetStream.

The loop never waits for the network: `offer_*` only writes to the local outbox, and the
publisher reconnects on its own. When the centre is unreachable the backlog grows on disk and is
sent, oldest first, once it is back (docs/fleet.md).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jayul.fleet.config import EVENT_SHARE, FleetConfig, Kind, SignalSharing
from jayul.fleet.outbox import Message, Outbox
from jayul.fleet.stream import Link, connect, ensure_stream
from jayul.fleet.wire import (
    MSG_ID,
    OFFERED_NS,
    Downsampler,
    chunks,
    encode_events,
    encode_json,
    encode_samples,
)
from jayul.records import Event, Samples

log = logging.getLogger(__name__)
ROWS_PER_MESSAGE = 20_000  # 380 kB packed (sample_wire): under NATS's 1 MB default limit


@dataclass
class PublisherStatus:
    connected: bool = False
    published: int = 0
    last_error: str = ""


class Edge:
    """Offers a site's records to the centre under its sharing policy."""

    def __init__(
        self,
        config: FleetConfig,
        outbox: Outbox,
        kpis: Callable[[], dict[str, Any]] | None = None,
        link: Link | None = None,
    ) -> None:
        self.config = config
        self.outbox = outbox
        self.kpis = kpis
        self.link = link  # TLS and NKey files, when the centre's NATS asks for them
        share = config.share
        self._downsampler = (
            Downsampler(int(share.downsample_s * 1e9))
            if share.signals is SignalSharing.DOWNSAMPLED
            else None
        )
        self._lock = threading.Lock()  # the downsampler's state (writer and loop threads)
        self.publisher: Publisher | None = None
        self.offer_failures = 0  # offers from the loop the outbox could not take

    @classmethod
    def open(
        cls, config: FleetConfig, base: Path, kpis: Callable[[], dict[str, Any]] | None = None
    ) -> Edge:
        return cls(config, Outbox(config.outbox_path(base)), kpis, config.link(base))

    # -- offered by the loop (never blocks on the network) --------------------------------

    def offer_samples(self, batch: Samples) -> int:
        """Raw or downsampled samples, when the policy shares signals; returns rows queued."""
        share = self.config.share
        if share.signals is SignalSharing.NONE or not len(batch):
            return 0
        if self._downsampler is not None:
            with self._lock:
                batch = self._downsampler.add(batch)
            if not len(batch):
                return 0
        subject = self.config.subject(Kind.SAMPLES)
        items = [
            (f"{self.config.site}-s-{uuid.uuid4().hex}", subject, encode_samples(part))
            for part in chunks(batch, ROWS_PER_MESSAGE)
        ]
        self.outbox.offer(items)
        return len(batch)

    def offer_events(self, events: Sequence[Event]) -> int:
        """The events the policy shares, one message per kind; ids keep repeats out."""
        by_kind: dict[Kind, list[Event]] = {}
        for e in events:
            kind = EVENT_SHARE.get(e.kind)
            if kind is not None and self.config.share.allows(kind):
                by_kind.setdefault(kind, []).append(e)
        items = [
            (
                # the id of a message is its first and last event's: a re-offer is recognised
                f"{self.config.site}-e-{group[0].id}-{group[-1].id}-{len(group)}",
                self.config.subject(kind),
                encode_events(group),
            )
            for kind, group in by_kind.items()
        ]
        self.outbox.offer(items)
        return sum(len(g) for g in by_kind.values())

    def offer_kpis(self, kpis: dict[str, Any], at_ns: int | None = None) -> bool:
        if not self.config.share.kpis:
            return False
        now = at_ns if at_ns is not None else time.time_ns()
        body = {"time": now, "kpis": kpis, "backlog": self.outbox.backlog()}
        msg_id = f"{self.config.site}-k-{now}"
        return self.outbox.offer([(msg_id, self.config.subject(Kind.KPIS), encode_json(body))]) > 0

    def offer_model_update(self, name: str, version: str, update: dict[str, Any]) -> bool:
        """A model update (weights or statistics, never data), when the policy shares them."""
        if not self.config.share.models:
            return False
        body = {"name": name, "version": version, "time": time.time_ns(), "update": update}
        msg_id = f"{self.config.site}-m-{name}-{version}"
        return (
            self.outbox.offer([(msg_id, self.config.subject(Kind.MODELS), encode_json(body))]) > 0
        )

    def offer_from_loop(self, offer: Callable[[], object]) -> None:
        """Run an offer for the site's loop: a failing outbox (disk full, file removed) is
        logged and counted, never raised into the loop; the site's historian keeps the data."""
        try:
            offer()
        except (sqlite3.Error, OSError) as exc:
            self.offer_failures += 1
            if self.offer_failures == 1 or self.offer_failures % 1000 == 0:
                log.warning(
                    "fleet: cannot queue for the centre (%d times): %s", self.offer_failures, exc
                )

    # -- the publisher ---------------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> Edge:
        """Start publishing: on a thread and event loop of its own, or as a task on `loop`
        (a running loop of another thread: many simulated sites in one process)."""
        if self.publisher is None:
            self.publisher = Publisher(self, loop)
            self.publisher.start()
        return self

    def stop(self) -> None:
        if self.publisher is not None:
            self.publisher.stop()
            self.publisher = None

    def close(self) -> None:
        self.stop()
        self.outbox.close()

    def status(self) -> dict[str, Any]:
        p = self.publisher.status if self.publisher is not None else PublisherStatus()
        return {
            "site": self.config.site,
            "connected": p.connected,
            "published": p.published,
            "backlog": self.outbox.backlog(),
            "last_error": p.last_error,
            "offer_failures": self.offer_failures,
        }


class Publisher:
    """Drains an edge's outbox to JetStream on its own thread and event loop."""

    window = 256  # publishes in flight at once
    idle_wait_s = 1.0  # the longest wait for an offer (KPIs and stopping are checked between)

    def __init__(self, edge: Edge, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.edge = edge
        self.status = PublisherStatus()
        self._stop = threading.Event()
        self._loop = loop
        self._task: concurrent.futures.Future[None] | None = None
        self._thread = threading.Thread(
            target=self._main, name=f"jayul-fleet-{edge.config.site}", daemon=True
        )

    def start(self) -> None:
        if self._loop is None:
            self._thread.start()
        else:
            self._task = asyncio.run_coroutine_threadsafe(self._run(), self._loop)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        wake = self.edge.outbox.on_offer
        if wake is not None:
            wake()  # out of its wait for offers now, not within a second
        if self._task is not None:
            with contextlib.suppress(Exception):  # it reports its own errors as it runs
                self._task.result(timeout)
        elif self._thread.is_alive():
            self._thread.join(timeout)

    def _main(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        cfg = self.edge.config
        last_kpis = 0.0
        loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
                loop.call_soon_threadsafe(self._wake.set)

        self.edge.outbox.on_offer = wake
        try:
            await self._publish_until_stopped(cfg, last_kpis)
        finally:
            self.edge.outbox.on_offer = None

    async def _publish_until_stopped(self, cfg: FleetConfig, last_kpis: float) -> None:
        while not self._stop.is_set():
            nc = await connect(
                cfg.url, f"jayul-site-{cfg.site}", self._stop, self._failed, self.edge.link
            )
            if nc is None:
                return
            try:
                js = nc.jetstream()
                await ensure_stream(js, cfg.stream, cfg.subject_prefix)
                while not self._stop.is_set():
                    self.status.connected = nc.is_connected
                    if (
                        self.edge.kpis is not None
                        and time.monotonic() - last_kpis >= cfg.kpi_every_s
                    ):
                        last_kpis = time.monotonic()
                        self.edge.offer_kpis(self.edge.kpis())
                    self._wake.clear()  # an offer from now on wakes the wait below
                    if await self._drain_once(js) == 0:
                        with contextlib.suppress(TimeoutError):  # at least once a second
                            await asyncio.wait_for(self._wake.wait(), self.idle_wait_s)
            except Exception as exc:
                self._failed(f"publishing to {cfg.url}: {exc!r}")
                await asyncio.sleep(1.0)
            finally:
                self.status.connected = False
                with contextlib.suppress(Exception):  # a dead connection may fail to close
                    await nc.close()

    async def _drain_once(self, js: Any) -> int:
        batch = self.edge.outbox.unsent(self.window)
        if not batch:
            return 0
        results = await asyncio.gather(
            *(self._publish(js, m) for m in batch), return_exceptions=True
        )
        acked = [m.seq for m, r in zip(batch, results, strict=True) if r is True]
        self.edge.outbox.mark_sent(acked)
        self.status.published += len(acked)
        if len(acked) < len(batch):
            failed = next(r for r in results if r is not True)
            self._failed(f"{len(batch) - len(acked)} publish(es) not acknowledged: {failed!r}")
            await asyncio.sleep(0.5)
        return len(acked)

    async def _publish(self, js: Any, m: Message) -> bool:
        headers = {MSG_ID: m.msg_id, OFFERED_NS: str(m.offered_ns)}
        await js.publish(m.subject, m.payload, timeout=5.0, headers=headers)
        return True

    def _failed(self, message: str) -> None:
        if message != self.status.last_error:
            log.warning("fleet: %s", message)
        self.status.last_error = message
