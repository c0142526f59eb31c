"""What the SQL historians (DuckDB, PostgreSQL) share: the series-id cache and the reads whose
SQL is the same in both dialects but for the parameter placeholder.

Each store keeps one connection behind one lock; `_fetch` runs a statement under that lock and
fetches every row (DuckDB refuses new work while a result is unfinished).
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from jayul.historian.base import DeadLetter, Historian
from jayul.historian.codec import event_filters, event_from_row
from jayul.records import Event, EventKind


class SqlHistorian(Historian):
    """A `Historian` over one SQL connection with the shared schema (series, samples, events,
    dead_letters)."""

    # The dialect's parameter placeholder and how the events' payload column reads as text.
    placeholder: str = "?"
    payload_column: str = "payload"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._series: dict[tuple[str, str], int] = {}

    @abstractmethod
    def _execute_fetch(self, query: str, params: Sequence[Any] | None) -> list[tuple[Any, ...]]:
        """Run `query` on the connection and fetch every row (the caller holds the lock)."""

    def _fetch(self, query: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._execute_fetch(query, params)

    def run_sql(self, query: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement in the historian's database under its lock, fetching every row:
        for stores that keep side tables next to the samples (alarms), written with
        `placeholder` for parameters. They never touch the historian's own tables."""
        return self._fetch(query, params)

    # -- series ids -------------------------------------------------------------------------

    def _load_series(self) -> None:
        rows = self._execute_fetch("SELECT machine, signal, id FROM series", None)
        self._series = {(m, s): int(i) for m, s, i in rows}

    def _machine_series(self, machine: str, signals: Sequence[str] | None) -> dict[int, str]:
        """Series id -> signal name for one machine (optionally only some signals)."""
        found = {i: s for (m, s), i in self._series.items() if m == machine}
        if not found:  # another writer may have added it since the table was loaded
            self._load_series()
            found = {i: s for (m, s), i in self._series.items() if m == machine}
        if signals is not None:
            wanted = set(signals)
            found = {i: s for i, s in found.items() if s in wanted}
        return found

    # -- reads ------------------------------------------------------------------------------

    def query_events(
        self,
        start_ns: int | None = None,
        end_ns: int | None = None,
        machine: str | None = None,
        kinds: Sequence[EventKind] | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        where, params = event_filters(start_ns, end_ns, machine, kinds, self.placeholder)
        query = (
            f"SELECT id, time, machine, kind, {self.payload_column} FROM events {where} "
            "ORDER BY time, id"
        )
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        return [event_from_row(r) for r in self._fetch(query, params)]

    def count_samples(self) -> int:
        rows = self._fetch("SELECT count(*) FROM samples")
        return int(rows[0][0]) if rows else 0

    def dead_letters(self, limit: int | None = None) -> list[DeadLetter]:
        query = "SELECT time, source, reason, raw FROM dead_letters ORDER BY time, seq"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        rows = self._fetch(query)
        return [DeadLetter(int(t), str(s), str(r), bytes(raw)) for t, s, r, raw in rows]

    # -- dead letters by number (jayul deadletters, /api/deadletters) -----------------------

    def dead_letters_numbered(
        self,
        limit: int | None = 100,
        reason: str | None = None,
        source: str | None = None,
        seqs: Sequence[int] | None = None,
    ) -> list[tuple[int, DeadLetter]]:
        """Dead letters with their sequence numbers, newest first; `reason` and `source` are
        substrings to match, `seqs` picks numbers."""
        p = self.placeholder
        where: list[str] = []
        params: list[Any] = []
        if reason:
            where.append(f"strpos(reason, {p}) > 0")
            params.append(reason)
        if source:
            where.append(f"strpos(source, {p}) > 0")
            params.append(source)
        if seqs is not None:
            if not seqs:
                return []
            where.append(f"seq IN ({', '.join(p for _ in seqs)})")
            params.extend(int(s) for s in seqs)
        query = "SELECT seq, time, source, reason, raw FROM dead_letters"
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY seq DESC"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        rows = self._fetch(query, params)
        return [
            (int(q), DeadLetter(int(t), str(s), str(r), bytes(raw))) for q, t, s, r, raw in rows
        ]

    def dead_letter_counts(self) -> list[tuple[str, str, int]]:
        """(reason, source kind, count) of every dead letter, the most frequent first. The
        source kind is the source up to its first ':' (mqtt, import, opcua, ...)."""
        rows = self._fetch(
            "SELECT reason, split_part(source, ':', 1) AS kind, count(*) AS n FROM dead_letters "
            "GROUP BY reason, kind ORDER BY n DESC, reason"
        )
        return [(str(r), str(k), int(n)) for r, k, n in rows]
