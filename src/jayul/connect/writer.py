"""The historian writer: drains the durable buffer into the historian, never losing an entry.

It reads entries after the buffer's cursor, writes their samples with ``dedupe=True`` (so a
replay after a crash or a redelivered message stores nothing twice) and their dead letters,
and only then commits the cursor. When the store fails (database restarted, connection cut)
it drops the connection, waits with exponential backoff and retries the same entries on a new
connection, so data waits in the buffer until the store is back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from jayul.connect.buffer import DurableBuffer
from jayul.connect.codec import decode_entry
from jayul.historian.base import DeadLetter, Historian
from jayul.historian.open import open_historian
from jayul.records import Event, EventKind, Samples

log = logging.getLogger(__name__)


@dataclass
class WriterStats:
    batches: int = 0
    samples_stored: int = 0
    samples_offered: int = 0
    dead_letters: int = 0
    alerts_stored: int = 0  # the input watch's and the link watch's, for `jayul run`'s summary
    store_failures: int = 0
    last_error: str = ""


class HistorianWriter:
    """A thread that moves buffer entries into the historian at `url` (see module doc)."""

    def __init__(
        self,
        buffer: DurableBuffer,
        url: str,
        *,
        on_stored: Callable[[Samples], None] | None = None,
        max_batch_bytes: int = 4 << 20,
        backoff_s: tuple[float, float] = (0.1, 5.0),
    ) -> None:
        self.buffer = buffer
        self.url = url
        self.on_stored = on_stored
        self.max_batch_bytes = max_batch_bytes
        self.backoff_s = backoff_s
        self.stats = WriterStats()
        self._historian: Historian | None = None
        self._events: list[Event] = []  # alerts, decisions, actions: stored with the next batch
        self._events_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failure: str | None = None  # why the writer thread ended early, if it did

    def start(self) -> HistorianWriter:
        self._thread = threading.Thread(target=self._run, name="jayul-historian-writer")
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self, drain_s: float = 5.0) -> None:
        """Store what is buffered (for up to `drain_s` seconds), then stop."""
        deadline = time.monotonic() + drain_s
        while self.buffer.backlog_bytes() > 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._historian is not None:
            self._historian.close()
            self._historian = None

    def add_events(self, events: list[Event]) -> None:
        """Store these events with the next batch (they live in memory until then: they are
        derived from samples, which are durable)."""
        with self._events_lock:
            self._events.extend(events)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self.step()
            self._store_events()
        except Exception as exc:  # a defect: say so (Ingest.failure) instead of idling
            self.failure = f"historian writer failed: {type(exc).__name__}: {exc}"
            log.exception("the historian writer stopped")

    def _store_events(self) -> None:
        with self._events_lock:
            events, self._events = self._events, []
        if not events:
            return
        try:
            if self._historian is None:
                self._historian = open_historian(self.url)
            self._historian.append_events(events)
            self.stats.alerts_stored += sum(e.kind is EventKind.ALERT for e in events)
        except Exception as exc:  # keep them for the next try
            log.warning("storing %d events failed: %s", len(events), exc)
            self._drop_connection()
            self.add_events(events)

    def step(self, timeout: float = 0.05) -> int:
        """Store one batch of buffered entries; return the number of entries handled."""
        entries, pos = self.buffer.read(self.max_batch_bytes, timeout)
        if self._events:
            self._store_events()
        if not entries:
            return 0
        decoded = [decode_entry(e) for e in entries]
        samples = Samples.concat([s for s, _ in decoded if len(s)])
        dead = [d for _, ds in decoded for d in ds]
        self._store(samples, dead)
        if self._stop.is_set() and self.stats.last_error:
            return len(entries)
        self.buffer.commit(pos)
        self.stats.batches += 1
        self.stats.samples_offered += len(samples)
        self.stats.dead_letters += len(dead)
        if self.on_stored is not None and len(samples):
            self.on_stored(samples)
        return len(entries)

    def _store(self, samples: Samples, dead: list[DeadLetter]) -> None:
        delay = self.backoff_s[0]
        while True:
            try:
                if self._historian is None:
                    self._historian = open_historian(self.url)
                if len(samples):
                    self.stats.samples_stored += self._historian.append_samples(
                        samples, dedupe=True
                    )
                if dead:
                    self._historian.append_dead_letters(dead)
                self.stats.last_error = ""
                return
            except Exception as exc:  # any store failure: reconnect and retry, never drop
                self.stats.store_failures += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("historian write failed (%s); retrying in %.1f s", exc, delay)
                self._drop_connection()
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, self.backoff_s[1])

    def _drop_connection(self) -> None:
        if self._historian is not None:
            try:
                self._historian.close()
            except Exception:  # a dead connection may fail to close; it is gone either way
                log.debug("closing a failed historian connection raised", exc_info=True)
            self._historian = None
