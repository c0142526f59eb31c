"""The site's historian as the loop sees it when the site belongs to a fleet: every write goes
to the historian first, then the events are offered to the fleet edge (which applies the
sharing policy and only queues locally, so the loop never waits for the network)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from jayul.fleet.edge import Edge
from jayul.historian.base import DeadLetter, Historian
from jayul.records import Event, EventKind, Samples


class FleetTee(Historian):
    """A historian that also offers what the loop stores to a fleet edge."""

    def __init__(self, store: Historian, edge: Edge) -> None:
        self.store = store
        self.edge = edge

    def append_samples(self, batch: Samples, dedupe: bool = False) -> int:
        n = self.store.append_samples(batch, dedupe)
        self.edge.offer_from_loop(lambda: self.edge.offer_samples(batch))
        return n

    def append_events(self, events: Sequence[Event]) -> None:
        self.store.append_events(events)
        self.edge.offer_from_loop(lambda: self.edge.offer_events(events))

    def append_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        self.store.append_dead_letters(letters)

    def query_samples(
        self, machine: str, start_ns: int, end_ns: int, signals: Sequence[str] | None = None
    ) -> pd.DataFrame:
        return self.store.query_samples(machine, start_ns, end_ns, signals)

    def query_buckets(
        self, machine: str, signal: str, start_ns: int, end_ns: int, bucket_ns: int
    ) -> pd.DataFrame:
        return self.store.query_buckets(machine, signal, start_ns, end_ns, bucket_ns)

    def query_buckets_many(
        self, machine: str, signals: Sequence[str], start_ns: int, end_ns: int, bucket_ns: int
    ) -> dict[str, pd.DataFrame]:
        return self.store.query_buckets_many(machine, signals, start_ns, end_ns, bucket_ns)

    def query_events(
        self,
        start_ns: int | None = None,
        end_ns: int | None = None,
        machine: str | None = None,
        kinds: Sequence[EventKind] | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        return self.store.query_events(start_ns, end_ns, machine, kinds, limit)

    def count_samples(self) -> int:
        return self.store.count_samples()

    def dead_letters(self, limit: int | None = None) -> list[DeadLetter]:
        return self.store.dead_letters(limit)

    def close(self) -> None:
        self.store.close()

    def __getattr__(self, name: str) -> Any:  # a store's own extras (cursor, ...)
        return getattr(self.store, name)
