"""What the centre has fetched from JetStream and read, waiting for its writer.

The centre fetches and reads the next messages while the previous batch is COPYed and
committed (the two overlap: the centre's own CPU and the wait on PostgreSQL), and the writer
then takes everything that arrived meanwhile as its next batch. A batch is thus as large as
what came during one write: small under a light load (a message waits for little), large
under a heavy one (one commit for many messages). `limit` bounds what is held unacknowledged
besides the batch being written.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from jayul.fleet.store import ReadMessage


@dataclass
class Batch:
    msgs: list[Any] = field(default_factory=list)  # JetStream deliveries, acked after commit
    read: list[ReadMessage] = field(default_factory=list)
    fetched_ns: int = 0  # when the last of them was fetched


class Intake:
    """A bounded hand-over between the centre's fetching and its writer (one event loop)."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._held = Batch()
        self._closed = False
        self._filled = asyncio.Event()
        self._emptied = asyncio.Event()
        self._idle = asyncio.Event()  # no writer is writing
        self._writes = 0
        self._idle.set()

    def room(self) -> int:
        return self.limit - len(self._held.msgs)

    def holding(self) -> bool:
        return bool(self._held.msgs)

    def writing(self, busy: bool) -> None:
        """Said by each writer around each write."""
        self._writes += 1 if busy else -1
        if self._writes > 0:
            self._idle.clear()
        else:
            self._idle.set()

    async def wait_idle(self, timeout: float) -> None:
        """Until no writer is writing, or `timeout`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)

    def busy(self) -> bool:
        return not self._idle.is_set()

    def put(self, msgs: list[Any], read: list[ReadMessage], fetched_ns: int) -> None:
        self._held.msgs += msgs
        self._held.read += read
        self._held.fetched_ns = fetched_ns
        self._filled.set()

    async def wait_room(self, timeout: float) -> None:
        """Until the writer takes what is held (or `timeout`: the caller checks for a stop)."""
        self._emptied.clear()
        if self.room() > 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._emptied.wait(), timeout)

    async def take(self) -> Batch | None:
        """Everything held, once there is something; None once closed."""
        while not self._held.msgs and not self._closed:
            self._filled.clear()
            await self._filled.wait()
        if self._closed:
            return None
        batch, self._held = self._held, Batch()
        self._emptied.set()
        return batch

    def close(self) -> None:
        self._closed = True
        self._filled.set()

    async def release(self) -> None:
        """Give back what was never written: JetStream delivers it again at once instead of
        after the consumer's ack wait (best effort: a lost connection returns it anyway)."""
        held, self._held = self._held, Batch()
        await nak(held.msgs)


async def nak(msgs: list[Any]) -> None:
    for m in msgs:
        with contextlib.suppress(Exception):
            await m.nak()
