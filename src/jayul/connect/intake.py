"""The intake: where every source hands its input, checked, into the durable buffer.

A source turns its protocol's messages into `Candidates` (or dead letters when it cannot read
them), calls `put`, and, before it acknowledges anything to its sender, `sync` (one fsync for
everything put since the last sync). Nothing a source received is lost after `sync` returns:
good samples and dead letters alike are on disk.

`put_message` is the guarded form for one raw message: whatever its decoding or checking
raises (a `RecursionError` from deep nesting, an `OverflowError` from a year-9999 time, a bug
in a decoder), the message becomes one dead letter with the exception as its reason and its
raw bytes, and the source goes on. No message can stop a source or be redelivered forever;
one that crashes the whole process is caught after restarts by its `CrashGuard`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from jayul.connect.buffer import DurableBuffer
from jayul.connect.codec import encode_entry
from jayul.connect.crash_guard import CrashGuard
from jayul.connect.source_health import HealthBoard
from jayul.connect.validate import Candidates, SignalTable
from jayul.historian.base import DeadLetter
from jayul.records import Samples, utc_now_ns

log = logging.getLogger(__name__)
RAW_KEPT_BYTES = 65_536  # raw bytes kept with a dead letter
Decoded = tuple[Candidates | None, list[DeadLetter]]


def failure_letter(source: str, stage: str, exc: BaseException, raw: bytes) -> DeadLetter:
    """The dead letter of a message whose `stage` (decoding, checking) raised `exc`."""
    text = str(exc)
    text = text if len(text) <= 300 else text[:300] + "..."
    reason = f"{stage} failed: {type(exc).__name__}: {text}"
    kept = raw if len(raw) <= RAW_KEPT_BYTES else raw[:RAW_KEPT_BYTES]
    return DeadLetter(utc_now_ns(), source, reason, bytes(kept))


@dataclass
class IntakeStats:
    entries: int = 0
    samples: int = 0
    dead_letters: int = 0
    syncs: int = 0


class Intake:
    """Checks candidates against the plant and appends them to the buffer (thread-safe)."""

    def __init__(
        self,
        buffer: DurableBuffer,
        table: SignalTable,
        board: HealthBoard | None = None,
        crash_guard: CrashGuard | None = None,
    ) -> None:
        self.buffer = buffer
        self.table = table
        self.board = board if board is not None else HealthBoard()
        self.crash_guard = crash_guard
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

    def put_message(self, source: str, raw: bytes, decode: Callable[[], Decoded]) -> None:
        """Decode one message with `decode`, check and append it (see module doc). Only the
        buffer's own failures (disk full, I/O error) are raised: then nothing was appended and
        the source must not acknowledge the message."""
        guard = self.crash_guard
        crashed = guard.begin(raw) if guard is not None else None
        if crashed is not None:  # it killed the process before: do not decode it again
            letter = DeadLetter(utc_now_ns(), source, crashed, bytes(raw[:RAW_KEPT_BYTES]))
            self._append(encode_entry(Samples.empty(), [letter]), Samples.empty(), [letter])
            return
        stage = "decoding"
        machine = None
        try:
            candidates, dead = decode()
            stage = "checking"
            samples, letters = Samples.empty(), list(dead)
            if candidates is not None and len(candidates):
                samples, bad = self.table.check(candidates, source)
                letters.extend(bad)
                machine = candidates.machine
            entry = encode_entry(samples, letters)
        except Exception as exc:  # any exception: this message is bad, not the source
            log.warning("message from %s dead-lettered: %s failed: %r", source, stage, exc)
            samples, letters = Samples.empty(), [failure_letter(source, stage, exc, raw)]
            entry = encode_entry(samples, letters)
        finally:
            if guard is not None:
                guard.end(raw)
        # what arrived, for the device-health board and the "no data" alerts (as `put` does)
        self.board.record(source, machine, samples.signal, len(letters), utc_now_ns())
        self._append(entry, samples, letters)

    def put_checked(self, samples: Samples, dead: list[DeadLetter]) -> None:
        """Append samples already checked (and dead letters)."""
        if not len(samples) and not dead:
            return
        self._append(encode_entry(samples, dead), samples, dead)

    def _append(self, entry: bytes, samples: Samples, dead: list[DeadLetter]) -> None:
        if not len(samples) and not dead:
            return
        self.buffer.append(entry)
        with self._lock:
            self.stats.entries += 1
            self.stats.samples += len(samples)
            self.stats.dead_letters += len(dead)

    def sync(self) -> None:
        self.buffer.sync()
        with self._lock:
            self.stats.syncs += 1
