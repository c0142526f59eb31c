"""The `Historian` interface: where samples, events and dead letters live.

Every store (DuckDB, PostgreSQL) implements the same small set of methods and passes the same
contract tests (tests/historian/test_contract.py). Conventions shared by all stores:

- Time ranges are half-open, ``start_ns <= time < end_ns``, in UTC nanoseconds.
- `append_samples` is a plain append by default (the fast path: duplicates are kept);
  `dedupe=True` drops rows whose (machine, signal, time) is already stored or repeats earlier
  in the same batch (an anti-join insert, slower), for replaying at-least-once deliveries.
- Rows whose machine or signal is missing (None/NaN) or not a non-empty string are not
  written as samples: they go to the dead-letter table with the reason and the raw row as
  JSON bytes. Bad input never disappears.
- Buckets are aligned to `start_ns` (bucket k covers ``start_ns + k*bucket_ns`` onwards); only
  buckets holding samples are returned; every quality counts.
- Events are stored whole (id, time, machine, kind, JSON payload); an event id already stored
  is ignored on append, so replays are harmless.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

import pandas as pd

from jayul.records import Event, EventKind, Samples

SAMPLE_COLUMNS = ["time", "signal", "value", "quality"]
BUCKET_COLUMNS = ["bucket", "min", "max", "mean", "count"]


@dataclass(frozen=True)
class DeadLetter:
    """Input that could not be stored as it was: when, from where, why, and its raw bytes."""

    time_ns: int
    source: str
    reason: str
    raw: bytes


class Historian(ABC):
    """A store of samples, events and dead letters. Use as a context manager or call close()."""

    @abstractmethod
    def append_samples(self, batch: Samples, dedupe: bool = False) -> int:
        """Append a batch; return the number of sample rows written.

        Invalid rows go to the dead letters instead. With ``dedupe=True``, rows whose
        (machine, signal, time) is already stored, or repeats within the batch, are dropped.
        """

    @abstractmethod
    def append_events(self, events: Sequence[Event]) -> None:
        """Append events; an id already stored is ignored."""

    @abstractmethod
    def append_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Keep input that could not be used, with the reason and raw bytes."""

    @abstractmethod
    def query_samples(
        self,
        machine: str,
        start_ns: int,
        end_ns: int,
        signals: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """One machine's samples in [start_ns, end_ns), all signals or only `signals`.

        Columns: time (int64 ns), signal (str), value (float64), quality (uint8); sorted by
        time, then signal.
        """

    @abstractmethod
    def query_buckets(
        self, machine: str, signal: str, start_ns: int, end_ns: int, bucket_ns: int
    ) -> pd.DataFrame:
        """One signal's min, max, mean and count per bucket of `bucket_ns` in [start_ns, end_ns).

        Columns: bucket (int64 ns, start of the bucket), min, max, mean (float64), count
        (int64); sorted by bucket; empty buckets are left out.
        """

    def query_buckets_many(
        self, machine: str, signals: Sequence[str], start_ns: int, end_ns: int, bucket_ns: int
    ) -> dict[str, pd.DataFrame]:
        """`query_buckets` for several signals of one machine (a store may do it in one pass);
        signal -> frame, every signal asked for present (empty frame when it has no data)."""
        return {s: self.query_buckets(machine, s, start_ns, end_ns, bucket_ns) for s in signals}

    @abstractmethod
    def query_events(
        self,
        start_ns: int | None = None,
        end_ns: int | None = None,
        machine: str | None = None,
        kinds: Sequence[EventKind] | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        """Events in [start_ns, end_ns) (open ends allowed), oldest first, the first `limit`."""

    @abstractmethod
    def count_samples(self) -> int:
        """How many sample rows are stored."""

    @abstractmethod
    def dead_letters(self, limit: int | None = None) -> list[DeadLetter]:
        """Stored dead letters, oldest first (ties in arrival order), the first `limit`."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection; the object must not be used afterwards."""

    def __enter__(self) -> Historian:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def check_range(start_ns: int, end_ns: int, bucket_ns: int | None = None) -> None:
    """Refuse ranges that cannot mean anything, with a message saying which argument."""
    if end_ns < start_ns:
        raise ValueError(f"end_ns ({end_ns}) is before start_ns ({start_ns})")
    if bucket_ns is not None and bucket_ns <= 0:
        raise ValueError(f"bucket_ns must be positive, got {bucket_ns}")
