"""The embedded default historian on DuckDB (a file, or in memory).

Schema (one DuckDB database)::

    series(id INTEGER PRIMARY KEY, machine VARCHAR, signal VARCHAR, UNIQUE (machine, signal))
    samples(series_id INTEGER, time BIGINT, value DOUBLE, quality UTINYINT)   -- no index
    events(id VARCHAR PRIMARY KEY, time BIGINT, machine VARCHAR, kind VARCHAR, payload VARCHAR)
    dead_letters(seq BIGINT, time BIGINT, source VARCHAR, reason VARCHAR, raw BLOB)

Why this shape: a sample row is four fixed-width columns, so a batch goes in as one Arrow
table (no per-row Python, no string columns to compress) and the (machine, signal) strings
live once in `series`. `samples` has no index, because an index would cost more per append
than it saves: rows arrive roughly in time order, so DuckDB's per-row-group min/max zonemaps
on `time` skip everything outside a query's range, and the series filter runs vectorised over
what is left. Time is BIGINT nanoseconds (UTC), as everywhere in jayul.

`append_samples(batch)` is a plain append (duplicates kept, the fast path);
`append_samples(batch, dedupe=True)` first drops repeats within the batch, then anti-joins
against the stored rows of the batch's time range (slower; for at-least-once replays).

One connection per historian, guarded by a lock, so threads may share a historian. Every
result is fetched to the end (`fetchall`): DuckDB refuses new work on a connection while a
result is unfinished.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from jayul.historian.base import BUCKET_COLUMNS as BUCKETS
from jayul.historian.base import DeadLetter, check_range
from jayul.historian.batch import PreparedBatch, prepare_batch
from jayul.historian.codec import bucket_frame, event_row, sample_frame
from jayul.historian.sql_store import SqlHistorian
from jayul.records import Event, Samples

SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY, machine VARCHAR NOT NULL, signal VARCHAR NOT NULL,
    UNIQUE (machine, signal));
CREATE TABLE IF NOT EXISTS samples (
    series_id INTEGER NOT NULL, time BIGINT NOT NULL, value DOUBLE, quality UTINYINT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id VARCHAR PRIMARY KEY, time BIGINT NOT NULL, machine VARCHAR, kind VARCHAR NOT NULL,
    payload VARCHAR NOT NULL);
CREATE SEQUENCE IF NOT EXISTS dead_letter_seq;
CREATE TABLE IF NOT EXISTS dead_letters (
    seq BIGINT NOT NULL DEFAULT nextval('dead_letter_seq'), time BIGINT NOT NULL,
    source VARCHAR NOT NULL, reason VARCHAR NOT NULL, raw BLOB NOT NULL);
"""

_DEDUPE_INSERT = """
INSERT INTO samples
SELECT b.series_id, b.time, b.value, b.quality
FROM (SELECT DISTINCT ON (series_id, time) * FROM _batch ORDER BY series_id, time) AS b
WHERE NOT EXISTS (
    SELECT 1 FROM samples AS s
    WHERE s.time BETWEEN ? AND ? AND s.series_id = b.series_id AND s.time = b.time)
"""


class DuckDBHistorian(SqlHistorian):
    """The DuckDB historian; `path` is a database file or ":memory:".

    `threads` caps DuckDB's worker threads (None: DuckDB's default, every core).
    """

    def __init__(self, path: str | Path = ":memory:", threads: int | None = None) -> None:
        super().__init__()
        self.path = str(path)
        self.threads = threads
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {} if threads is None else {"threads": threads}
        self._con = duckdb.connect(self.path, config=config)
        self._con.execute(SCHEMA).fetchall()
        self._load_series()

    def _execute_fetch(self, query: str, params: Sequence[Any] | None) -> list[tuple[Any, ...]]:
        return self._con.execute(query, params).fetchall()

    # -- series ids -------------------------------------------------------------------------

    def _ids_for(self, pairs: list[tuple[str, str]]) -> list[int]:
        new = [p for p in pairs if p not in self._series]
        if new:
            start = max(self._series.values(), default=0) + 1
            rows = [(start + k, m, s) for k, (m, s) in enumerate(new)]
            self._con.executemany("INSERT INTO series VALUES (?, ?, ?)", rows)
            self._series.update({(m, s): i for i, m, s in rows})
        return [self._series[p] for p in pairs]

    # -- writes -----------------------------------------------------------------------------

    def append_samples(self, batch: Samples, dedupe: bool = False) -> int:
        prepared = prepare_batch(batch)
        with self._lock:
            if prepared.dead:
                self._insert_dead(prepared.dead)
            if len(prepared) == 0:
                return 0
            return self._insert_samples(prepared, dedupe)

    def _insert_samples(self, prepared: PreparedBatch, dedupe: bool) -> int:
        table = pa.table(
            {
                "series_id": pa.array(prepared.series_ids(self._ids_for(prepared.pairs))),
                "time": pa.array(prepared.time),
                "value": pa.array(prepared.value),
                "quality": pa.array(prepared.quality),
            }
        )
        self._con.register("_batch", table)
        try:
            if not dedupe:
                self._con.execute("INSERT INTO samples SELECT * FROM _batch").fetchall()
                return len(prepared)
            lo, hi = int(prepared.time.min()), int(prepared.time.max())
            rows = self._con.execute(_DEDUPE_INSERT, [lo, hi]).fetchall()
            return int(rows[0][0]) if rows else 0
        finally:
            self._con.unregister("_batch")

    @contextmanager
    def bulk_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The store's own connection, under its lock, for bulk SQL such as a history import
        that reads files with DuckDB and inserts into `samples` in one statement (no Arrow or
        Python hop). Only `samples` rows with series ids from `series_ids` may be written."""
        with self._lock:
            yield self._con

    def series_ids(self, pairs: list[tuple[str, str]]) -> list[int]:
        """The series id of each (machine, signal), created when new."""
        with self._lock:
            return self._ids_for(pairs)

    def append_events(self, events: Sequence[Event]) -> None:
        if not events:
            return
        rows = [event_row(e) for e in events]
        # One Arrow batch instead of executemany: DuckDB inserts row by row otherwise.
        table = pa.table(
            {
                "id": [r[0] for r in rows],
                "time": pa.array([r[1] for r in rows], pa.int64()),
                "machine": pa.array([r[2] for r in rows], pa.string()),
                "kind": [r[3] for r in rows],
                "payload": [r[4] for r in rows],
            }
        )
        with self._lock:
            self._con.register("_events", table)
            try:
                self._con.execute(
                    "INSERT OR IGNORE INTO events "
                    "SELECT DISTINCT ON (id) id, time, machine, kind, payload FROM _events"
                )
            finally:
                self._con.unregister("_events")

    def append_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        if letters:
            with self._lock:
                self._insert_dead(letters)

    def _insert_dead(self, letters: Sequence[DeadLetter]) -> None:
        # One Arrow batch: executemany goes row by row, and a flood of malformed messages
        # must not slow the good ones queued behind it.
        table = pa.table(
            {
                "time": pa.array([d.time_ns for d in letters], pa.int64()),
                "source": pa.array([d.source for d in letters], pa.string()),
                "reason": pa.array([d.reason for d in letters], pa.string()),
                "raw": pa.array([bytes(d.raw) for d in letters], pa.binary()),
            }
        )
        self._con.register("_dead", table)
        try:
            self._con.execute(
                "INSERT INTO dead_letters (time, source, reason, raw) "
                "SELECT time, source, reason, raw FROM _dead"
            )
        finally:
            self._con.unregister("_dead")

    # -- reads ------------------------------------------------------------------------------

    def query_samples(
        self,
        machine: str,
        start_ns: int,
        end_ns: int,
        signals: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        check_range(start_ns, end_ns)
        with self._lock:
            names = self._machine_series(machine, signals)
            if not names:
                return sample_frame(pd.DataFrame())
            ids = sorted(names)
            frame = self._con.execute(
                "SELECT series_id, time, value, quality FROM samples "
                "WHERE time >= ? AND time < ? AND list_contains(?, series_id)",
                [start_ns, end_ns, ids],
            ).df()
        frame["signal"] = frame["series_id"].map(names)
        frame = frame.sort_values(["time", "signal"], kind="stable")
        return sample_frame(frame)

    def query_buckets(
        self, machine: str, signal: str, start_ns: int, end_ns: int, bucket_ns: int
    ) -> pd.DataFrame:
        check_range(start_ns, end_ns, bucket_ns)
        with self._lock:
            ids = list(self._machine_series(machine, [signal]))
            if not ids:
                return bucket_frame(pd.DataFrame())
            frame = self._con.execute(
                "SELECT $start + ((time - $start) // $width) * $width AS bucket, "
                "min(value) AS min, max(value) AS max, avg(value) AS mean, count(*) AS count "
                "FROM samples WHERE series_id = $sid AND time >= $start AND time < $end "
                "GROUP BY 1 ORDER BY 1",
                {"start": start_ns, "end": end_ns, "width": bucket_ns, "sid": ids[0]},
            ).df()
        return bucket_frame(frame)

    def query_buckets_many(
        self, machine: str, signals: Sequence[str], start_ns: int, end_ns: int, bucket_ns: int
    ) -> dict[str, pd.DataFrame]:
        # one scan for every signal: the samples table has no index on series, so a query per
        # signal would read the time range once per signal
        check_range(start_ns, end_ns, bucket_ns)
        with self._lock:
            names = self._machine_series(machine, signals)
            out = {s: bucket_frame(pd.DataFrame()) for s in signals}
            if not names:
                return out
            cols = self._con.execute(
                "SELECT series_id, $start + ((time - $start) // $width) * $width AS bucket, "
                "min(value) AS min, max(value) AS max, avg(value) AS mean, count(*) AS count "
                "FROM samples WHERE list_contains($ids, series_id) AND time >= $start "
                "AND time < $end GROUP BY 1, 2 ORDER BY 1, 2",
                {"start": start_ns, "end": end_ns, "width": bucket_ns, "ids": sorted(names)},
            ).fetchnumpy()
        sid = np.asarray(cols["series_id"])
        for series_id, signal in names.items():
            rows = sid == series_id
            out[signal] = bucket_frame(
                pd.DataFrame({c: np.asarray(cols[c])[rows] for c in BUCKETS})
            )
        return out

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Another cursor on this database, for the plant tables that share its file (the
        audit trail, the model registry): a second `duckdb.connect` of the same file with
        another configuration is refused by DuckDB."""
        return self._con.cursor()

    def close(self) -> None:
        with self._lock:
            self._con.close()
