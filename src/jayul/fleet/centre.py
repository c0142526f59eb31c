"""The fleet centre: a durable pull consumer on the fleet's stream, every batch stored in
PostgreSQL (FleetStore) and acknowledged only after the commit.

A centre killed at any point loses nothing: what was not acknowledged is delivered again, and
what was stored but not acknowledged is recognised by its message id and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from jayul.fleet.intake import Intake, nak
from jayul.fleet.store import FleetStore, Incoming, read_batch
from jayul.fleet.stream import Link, connect, ensure_stream
from jayul.fleet.wire import MSG_ID, OFFERED_NS

log = logging.getLogger(__name__)


@dataclass
class CentreStats:
    connected: bool = False
    stored: int = 0
    repeats: int = 0
    dead: int = 0
    samples: int = 0
    last_error: str = ""


@dataclass(frozen=True)
class CentreConfig:
    url: str = "nats://127.0.0.1:4222"
    dsn: str = "postgresql://127.0.0.1/jayul"
    schema: str = "jayul_fleet"
    stream: str = "JAYUL_FLEET"
    subject_prefix: str = "jayul"
    durable: str = "jayul-centre"
    batch: int = 500
    idle_wait_s: float = 1.0  # the longest wait for a first message (stopping is checked between)
    gather_s: float = 0.02  # after a first message, how long to wait for more when none is queued
    poll_while_writing_s: float = 0.05  # how often to fetch while a batch is written
    writers: int = 2  # batches written side by side, each on a connection of its own
    link: Link = field(default_factory=Link)  # TLS and NKey, when the fleet's NATS has them


class Centre:
    """Consumes the fleet's stream into PostgreSQL until `stop()`."""

    def __init__(self, config: CentreConfig) -> None:
        self.config = config
        self.stats = CentreStats()
        lock = threading.Lock()
        self.stores = [
            FleetStore(config.dsn, config.schema, lock) for _ in range(max(1, config.writers))
        ]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Centre:
        self._thread = threading.Thread(target=self.run, name="jayul-fleet-centre", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for store in self.stores:
            store.close()

    @property
    def store(self) -> FleetStore:
        return self.stores[0]

    def run(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        cfg = self.config
        while not self._stop.is_set():
            nc = await connect(cfg.url, "jayul-fleet-centre", self._stop, self._failed, cfg.link)
            if nc is None:
                return
            try:
                js = nc.jetstream()
                await ensure_stream(js, cfg.stream, cfg.subject_prefix)
                sub = await js.pull_subscribe(
                    f"{cfg.subject_prefix}.site.>", durable=cfg.durable, stream=cfg.stream
                )
                await self._consume(nc, sub)
            except Exception as exc:  # NATS or PostgreSQL gone: unacked messages come again
                self._failed(f"consuming from {cfg.url}: {exc!r}")
                for i, store in enumerate(self.stores):
                    if store.conn.closed or store.conn.broken:
                        self._reopen(i)
                await asyncio.sleep(1.0)
            finally:
                self.stats.connected = False
                with contextlib.suppress(Exception):  # a dead connection may fail to close
                    await nc.close()

    async def _consume(self, nc: Any, sub: Any) -> None:
        """Fetch and read while the writer stores the previous batch (`Intake`); returns on a
        stop, raises what the writer or the fetch raised. The batch being written is always
        finished (committed, acked) before this returns: the connection is never closed
        under a write."""
        cfg = self.config
        intake = Intake(cfg.batch)
        writers = [
            asyncio.create_task(self._write_loop(intake, i)) for i in range(len(self.stores))
        ]
        try:
            while not self._stop.is_set() and not any(w.done() for w in writers):
                self.stats.connected = nc.is_connected
                room = intake.room()
                if room <= 0:
                    await intake.wait_room(cfg.idle_wait_s)
                    continue
                if intake.holding() and intake.busy():
                    # a next batch is ready: look for more now and then, not at every
                    # message (each fetch is a round trip, CPU the write could use)
                    await intake.wait_idle(cfg.poll_while_writing_s)
                msgs = await self._fetch(sub, room)
                if msgs:
                    fetched_ns = time.time_ns()
                    read = read_batch([_incoming(m) for m in msgs], cfg.subject_prefix)
                    intake.put(msgs, read, fetched_ns)
        finally:
            intake.close()
            await asyncio.wait(writers)
            await intake.release()
        for w in writers:
            w.result()  # a writer's error, if one stopped on it

    async def _write_loop(self, intake: Intake, i: int) -> None:
        """Store each batch in a thread (the event loop keeps fetching meanwhile), then ack
        it: only after the commit, so a centre killed in between loses nothing."""
        while (batch := await intake.take()) is not None:
            intake.writing(True)
            try:
                result = await asyncio.to_thread(
                    self.stores[i].write_read, batch.read, batch.fetched_ns
                )  # committed here
            except BaseException:
                await nak(batch.msgs)  # delivered again at once; what committed is a repeat
                raise
            finally:
                intake.writing(False)
            for m in batch.msgs:
                await m.ack()
            self.stats.stored += result.stored
            self.stats.repeats += result.repeats
            self.stats.dead += result.dead
            self.stats.samples += result.samples

    async def _fetch(self, sub: Any, room: int) -> list[Any]:
        """What the stream holds for the centre, as soon as there is something: a wait for one
        message, then whatever else is already there (up to `batch`).

        Not one `fetch(batch, timeout)`: whether that returns as soon as the stream runs dry or
        waits for the rest of the batch until the timeout depends on how the server treats
        nats-py's pull request (`no_wait` with `expires`); here nothing waits to fill a batch
        whatever the server. Under load the second fetch takes what waits at once, and
        messages pile up while a batch is written, so batches stay large when it matters."""
        from nats.errors import TimeoutError as NatsTimeout

        cfg = self.config
        try:
            msgs: list[Any] = await sub.fetch(1, timeout=cfg.idle_wait_s)
        except (TimeoutError, NatsTimeout):
            return []
        if room > 1:
            with contextlib.suppress(TimeoutError, NatsTimeout):
                msgs += await sub.fetch(room - 1, timeout=cfg.gather_s)
        return msgs

    def _reopen(self, i: int) -> None:
        try:
            lock = self.stores[i].prepare_lock
            self.stores[i].close()
            self.stores[i] = FleetStore(self.config.dsn, self.config.schema, lock)
        except Exception as exc:
            self._failed(f"cannot reopen {self.config.dsn}: {exc!r}")

    def _failed(self, message: str) -> None:
        if message != self.stats.last_error:
            log.warning("fleet centre: %s", message)
        self.stats.last_error = message


def _incoming(m: Any) -> Incoming:
    headers = m.headers or {}
    return Incoming(
        m.subject, headers.get(MSG_ID), _int(headers.get(OFFERED_NS)), m.data, _stream_ns(m)
    )


def _stream_ns(m: Any) -> int | None:
    """When JetStream stored the message (its time in the stream, from the ack subject)."""
    try:
        return int(m.metadata.timestamp.timestamp() * 1e9)
    except Exception:  # not a JetStream delivery (no ack subject to read it from)
        return None


def _int(v: str | None) -> int | None:
    try:
        return int(v) if v is not None else None
    except ValueError:
        return None
