"""Simulated sites: the demo plant's samples (from the twin, once) replayed by N sites at a
set rate, each through its own fleet edge (outbox on disk, publisher thread), as `jayul run`
does with what it stores. Every sample gets a time unique within its site, so the centre's
table shows any loss or duplicate exactly."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import numpy as np

from jayul.fleet import Edge, FleetConfig, Outbox, Share, SignalSharing
from jayul.plant import load_demo_plant
from jayul.records import Samples
from jayul.twin import Twin


def demo_samples(hours: float = 24.0, seed: int = 0) -> Samples:
    twin = Twin(load_demo_plant(), seed=seed)
    twin.run_until(hours)
    return twin.drain_samples()


class Sites:
    """N sites offering `rate` samples/s each in batches every `interval_s`."""

    def __init__(
        self,
        n: int,
        rate: float,
        url: str,
        stream: str,
        prefix: str,
        work: Path,
        interval_s: float = 0.2,
    ) -> None:
        self.template = demo_samples()
        self.rate = rate
        self.interval_s = interval_s
        self.edges = [
            Edge(
                FleetConfig(
                    site=f"site-{i:03d}",
                    url=url,
                    stream=stream,
                    subject_prefix=prefix,
                    share=Share(signals=SignalSharing.RAW, kpis=False),
                ),
                Outbox(work / f"site-{i:03d}.sqlite"),
            )
            for i in range(n)
        ]
        self.offered = [0] * n  # samples offered per site
        self.lag_s = 0.0  # how far the producer fell behind its pace (the machine's limit)
        self._cursor = [i * 997 % len(self.template) for i in range(n)]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="bench-sites", daemon=True)
        # The sites' publishers share one event loop on one thread: 50 threads contending for
        # one process's interpreter lock cost more than the publishing itself. Each site keeps
        # its own outbox, NATS connection and publisher, as under jayul run.
        self.loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(
            target=self.loop.run_forever, name="bench-sites-publishers", daemon=True
        )

    def start(self) -> None:
        self._loop_thread.start()
        for e in self.edges:
            e.start(self.loop)
        self._thread.start()

    def start_site(self, i: int) -> None:
        self.edges[i].start(self.loop)

    def stop_producing(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def close(self) -> None:
        for e in self.edges:
            e.close()
        if self._loop_thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._loop_thread.join(10)

    def backlog(self) -> int:
        return sum(e.outbox.backlog() for e in self.edges)

    def _produce(self) -> None:
        per_batch = max(1, round(self.rate * self.interval_s))
        t = self.template
        base = time.time_ns()
        next_at = time.monotonic()
        while not self._stop.is_set():
            for i, edge in enumerate(self.edges):
                start = self._cursor[i]
                idx = (start + np.arange(per_batch)) % len(t)
                self._cursor[i] = int((start + per_batch) % len(t))
                seq = self.offered[i] + np.arange(per_batch, dtype=np.int64)
                batch = Samples(
                    base + seq * 1000,  # unique per site: 1 µs apart
                    t.machine[idx],
                    t.signal[idx],
                    t.value[idx],
                    t.quality[idx],
                )
                edge.offer_samples(batch)
                self.offered[i] += per_batch
            next_at += self.interval_s
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                self.lag_s = max(self.lag_s, -delay)
