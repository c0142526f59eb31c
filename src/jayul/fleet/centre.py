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
from dataclasses import dataclass

from jayul.fleet.store import FleetStore, Incoming
from jayul.fleet.stream import connect, ensure_stream
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
    dsn: str = "postgresql://127.0.0.1/test"
    schema: str = "jayul_fleet"
    stream: str = "JAYUL_FLEET"
    subject_prefix: str = "jayul"
    durable: str = "jayul-centre"
    batch: int = 500


class Centre:
    """Consumes the fleet's stream into PostgreSQL until `stop()`."""

    def __init__(self, config: CentreConfig) -> None:
        self.config = config
        self.stats = CentreStats()
        self.store = FleetStore(config.dsn, config.schema)
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
        self.store.close()

    def run(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        from nats.errors import TimeoutError as NatsTimeout

        cfg = self.config
        while not self._stop.is_set():
            nc = await connect(cfg.url, "jayul-fleet-centre", self._stop, self._failed)
            if nc is None:
                return
            try:
                js = nc.jetstream()
                await ensure_stream(js, cfg.stream, cfg.subject_prefix)
                sub = await js.pull_subscribe(
                    f"{cfg.subject_prefix}.site.>", durable=cfg.durable, stream=cfg.stream
                )
                while not self._stop.is_set():
                    self.stats.connected = nc.is_connected
                    try:
                        msgs = await sub.fetch(cfg.batch, timeout=1.0)
                    except (TimeoutError, NatsTimeout):
                        continue
                    batch = [
                        Incoming(
                            m.subject,
                            (m.headers or {}).get(MSG_ID),
                            _int((m.headers or {}).get(OFFERED_NS)),
                            m.data,
                        )
                        for m in msgs
                    ]
                    result = self.store.write(batch, cfg.subject_prefix)  # committed here
                    for m in msgs:
                        await m.ack()
                    self.stats.stored += result.stored
                    self.stats.repeats += result.repeats
                    self.stats.dead += result.dead
                    self.stats.samples += result.samples
            except Exception as exc:  # NATS or PostgreSQL gone: unacked messages come again
                self._failed(f"consuming from {cfg.url}: {exc!r}")
                if self.store.conn.closed or self.store.conn.broken:
                    self._reopen()
                await asyncio.sleep(1.0)
            finally:
                self.stats.connected = False
                with contextlib.suppress(Exception):  # a dead connection may fail to close
                    await nc.close()

    def _reopen(self) -> None:
        try:
            self.store.close()
            self.store = FleetStore(self.config.dsn, self.config.schema)
        except Exception as exc:
            self._failed(f"cannot reopen {self.config.dsn}: {exc!r}")

    def _failed(self, message: str) -> None:
        if message != self.stats.last_error:
            log.warning("fleet centre: %s", message)
        self.stats.last_error = message


def _int(v: str | None) -> int | None:
    try:
        return int(v) if v is not None else None
    except ValueError:
        return None
