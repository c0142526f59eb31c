"""The intake: where every source hands its input, checked, into the durable buffer.

A source turns its protocol's messages into `Candidates` (or dead letters when it cannot read
them), calls `put`, and, before it acknowledges anything to its sender, `sync` (one fsync for
everything put since the last sync). Nothing a source received is lost after `sync` returns:
good samples and dead letters alike are on disk.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from jayul.connect.buffer import DurableBuffer
from jayul.connect.codec import encode_entry
from jayul.connect.source_health import HealthBoard
from jayul.connect.validate import Candidates, SignalTable
from jayul.historian.base import DeadLetter
from jayul.records import Samples, utc_now_ns


@dataclass
class IntakeStats:
    entries: int = 0
    samples: int = 0
    dead_letters: int = 0
    syncs: int = 0


class Intake:
    """Checks candidates against the plant and appends them to the buffer (thread-safe)."""

    def __init__(
        self, buffer: DurableBuffer, table: SignalTable, board: HealthBoard | None = None
    ) -> None:
        self.buffer = buffer
        self.table = table
        self.board = board if board is not None else HealthBoard()
        self.stats = IntakeStats()
        self._lock = threading.Lock()

    def put(self, candidates: Candidates | None, dead: list[DeadLetter], source: str) -> None:
        """Check `candidates` and append them with `dead` (not yet durable: see `sync`)."""
        samples = Samples.empty()
        letters = list(dead)
        if candidates is not None and len(candidates):
            samples, bad = self.table.check(candidates, source)
            letters.extend(bad)
        machine = candidates.machine if candidates is not None else None
        self.board.record(source, machine, samples.signal, len(letters), utc_now_ns())
        self.put_checked(samples, letters)

    def put_checked(self, samples: Samples, dead: list[DeadLetter]) -> None:
        """Append samples already checked (and dead letters)."""
        if not len(samples) and not dead:
            return
        self.buffer.append(encode_entry(samples, dead))
        with self._lock:
            self.stats.entries += 1
            self.stats.samples += len(samples)
            self.stats.dead_letters += len(dead)

    def sync(self) -> None:
        self.buffer.sync()
        with self._lock:
            self.stats.syncs += 1
