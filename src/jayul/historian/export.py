"""Exports as streams of bytes: samples, events, alerts and the audit trail, as CSV or Parquet,
for any range, without holding the range in memory.

Each export is a generator of frames (pandas, one chunk of the range at a time: a window of
time for samples, a number of rows for the rest) turned into bytes by `as_csv` (the header
once) or `as_parquet` (one row group per chunk, written through a sink that hands its bytes
on as soon as pyarrow writes them). A web server streams them as they come.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from jayul.historian.base import Historian, check_range
from jayul.records import EventKind

FORMATS = ("csv", "parquet")
SAMPLE_WINDOW_NS = 6 * 3_600_000_000_000  # 6 h of one machine's samples per chunk
EVENT_CHUNK = 20_000

EVENT_COLUMNS = ["id", "time", "time_utc", "machine", "kind", "payload"]
ALERT_COLUMNS = [
    "id", "time", "time_utc", "machine", "detector", "score", "threshold", "reason",
    "contributions",
]  # fmt: skip
AUDIT_COLUMNS = ["seq", "time", "time_utc", "actor", "kind", "subject", "reason", "payload",
                 "prev", "hash"]  # fmt: skip
SAMPLE_COLUMNS = ["time", "time_utc", "machine", "signal", "value", "quality"]


def _utc(ns: pd.Series) -> pd.Series:
    return pd.to_datetime(ns.astype("int64"), unit="ns", utc=True).dt.strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )


def sample_frames(
    historian: Historian, machines: Sequence[str], start_ns: int, end_ns: int
) -> Iterator[pd.DataFrame]:
    """One machine's samples per window of `SAMPLE_WINDOW_NS`, machine by machine."""
    check_range(start_ns, end_ns)
    for machine in machines:
        t = start_ns
        while t < end_ns:
            upper = min(t + SAMPLE_WINDOW_NS, end_ns)
            frame = historian.query_samples(machine, t, upper)
            t = upper
            if frame.empty:
                continue
            frame.insert(1, "time_utc", _utc(frame["time"]))
            frame.insert(2, "machine", machine)
            yield frame[SAMPLE_COLUMNS]


def event_frames(
    historian: Historian,
    start_ns: int,
    end_ns: int,
    machine: str | None = None,
    kinds: Sequence[EventKind] | None = None,
) -> Iterator[pd.DataFrame]:
    """Events oldest first, `EVENT_CHUNK` at a time, the payload as JSON text."""
    check_range(start_ns, end_ns)
    t = start_ns
    while t < end_ns:
        found = historian.query_events(t, end_ns, machine, kinds, limit=EVENT_CHUNK)
        if not found:
            return
        # the next chunk starts after this one's last time; events sharing that time come
        # again in the next chunk unless they were all in this one
        last = found[-1].time
        if len(found) == EVENT_CHUNK:
            found = [e for e in found if e.time < last] or found
            last = found[-1].time
        rows = [
            {
                "id": e.id,
                "time": e.time,
                "machine": e.machine,
                "kind": e.kind.value,
                "payload": json.dumps(e.payload, separators=(",", ":"), default=str),
            }
            for e in found
        ]
        frame = pd.DataFrame(rows, columns=[c for c in EVENT_COLUMNS if c != "time_utc"])
        frame.insert(2, "time_utc", _utc(frame["time"]))
        yield frame
        t = last + 1


def alert_frames(
    historian: Historian, start_ns: int, end_ns: int, machine: str | None = None
) -> Iterator[pd.DataFrame]:
    """Alerts with their detector, score, threshold, reason and contributions as columns."""
    for events in event_frames(historian, start_ns, end_ns, machine, [EventKind.ALERT]):
        payload = [json.loads(p) for p in events["payload"]]
        frame = events[["id", "time", "time_utc", "machine"]].copy()
        for key in ("detector", "score", "threshold", "reason"):
            frame[key] = [p.get(key) for p in payload]
        frame["contributions"] = [json.dumps(p.get("contributions", [])) for p in payload]
        yield frame[ALERT_COLUMNS]


AuditFetch = Callable[[int, int, int, int], list[tuple[Any, ...]]]
"""(start_ns, end_ns, after_seq, limit) -> audit rows (seq, time, actor, kind, subject, reason,
payload, prev, hash), in seq order."""


def audit_frames(fetch: AuditFetch, start_ns: int, end_ns: int) -> Iterator[pd.DataFrame]:
    """The audit trail's records in [start, end), in chain order, with their hashes (so a
    reader can check the chain of what was exported)."""
    check_range(start_ns, end_ns)
    after = -1
    while True:
        rows = fetch(start_ns, end_ns, after, EVENT_CHUNK)
        if not rows:
            return
        cols = [c for c in AUDIT_COLUMNS if c != "time_utc"]
        frame = pd.DataFrame(rows, columns=cols)
        frame.insert(2, "time_utc", _utc(frame["time"]))
        yield frame
        after = int(rows[-1][0])


def as_csv(frames: Iterator[pd.DataFrame], columns: Sequence[str]) -> Iterator[bytes]:
    """CSV bytes, the header first (also for an empty export)."""
    head = io.StringIO()
    csv.writer(head).writerow(columns)
    yield head.getvalue().encode()
    for frame in frames:
        yield frame.to_csv(index=False, header=False, lineterminator="\n").encode()


class _Sink(io.RawIOBase):
    """A write-only file whose bytes are taken out as they come (for streaming Parquet)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.pos = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self.parts.append(data)
        self.pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self.pos

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def as_parquet(frames: Iterator[pd.DataFrame], schema: pa.Schema) -> Iterator[bytes]:
    """Parquet bytes: one row group per frame, streamed as written."""
    sink = _Sink()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")
    try:
        for frame in frames:
            writer.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False))
            chunk = sink.take()
            if chunk:
                yield chunk
    finally:
        writer.close()
    yield sink.take()


SCHEMAS = {
    "samples": pa.schema(
        [("time", pa.int64()), ("time_utc", pa.string()), ("machine", pa.string()),
         ("signal", pa.string()), ("value", pa.float64()), ("quality", pa.uint8())]
    ),
    "events": pa.schema(
        [("id", pa.string()), ("time", pa.int64()), ("time_utc", pa.string()),
         ("machine", pa.string()), ("kind", pa.string()), ("payload", pa.string())]
    ),
    "alerts": pa.schema(
        [("id", pa.string()), ("time", pa.int64()), ("time_utc", pa.string()),
         ("machine", pa.string()), ("detector", pa.string()), ("score", pa.float64()),
         ("threshold", pa.float64()), ("reason", pa.string()), ("contributions", pa.string())]
    ),
    "audit": pa.schema(
        [("seq", pa.int64()), ("time", pa.int64()), ("time_utc", pa.string()),
         ("actor", pa.string()), ("kind", pa.string()), ("subject", pa.string()),
         ("reason", pa.string()), ("payload", pa.string()), ("prev", pa.string()),
         ("hash", pa.string())]
    ),
}  # fmt: skip
COLUMNS = {
    "samples": SAMPLE_COLUMNS,
    "events": EVENT_COLUMNS,
    "alerts": ALERT_COLUMNS,
    "audit": AUDIT_COLUMNS,
}


def encode(what: str, fmt: str, frames: Iterator[pd.DataFrame]) -> Iterator[bytes]:
    """The frames of export `what` as `fmt` bytes."""
    if fmt == "csv":
        return as_csv(frames, COLUMNS[what])
    if fmt == "parquet":
        return as_parquet(frames, SCHEMAS[what])
    raise ValueError(f"export format {fmt!r}: use csv or parquet")
