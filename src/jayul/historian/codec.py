"""Events and query results to and from the plain columns every store keeps."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from jayul.historian.base import BUCKET_COLUMNS, SAMPLE_COLUMNS
from jayul.records import Event, EventKind

EventRow = tuple[str, int, str | None, str, str]


def _json_default(x: object) -> Any:
    # numpy scalars and arrays are common in payloads written by models; anything else as text.
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)


def event_row(event: Event) -> EventRow:
    """(id, time, machine, kind, payload as JSON text)."""
    payload = json.dumps(event.payload, default=_json_default, sort_keys=True)
    return (event.id, int(event.time), event.machine, event.kind.value, payload)


def event_from_row(row: tuple[Any, ...]) -> Event:
    """The inverse of `event_row`."""
    event_id, time, machine, kind, payload = row
    return Event(
        id=str(event_id),
        time=int(time),
        machine=machine,
        kind=EventKind(kind),
        payload=json.loads(payload),
    )


def sample_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`query_samples`'s result with its promised columns and dtypes, also when empty."""
    if frame.empty:
        frame = pd.DataFrame({c: [] for c in SAMPLE_COLUMNS})
    return pd.DataFrame(
        {
            "time": frame["time"].to_numpy(dtype=np.int64),
            "signal": frame["signal"].astype(object).to_numpy(),
            "value": frame["value"].to_numpy(dtype=np.float64),
            "quality": frame["quality"].to_numpy(dtype=np.uint8),
        }
    )


def bucket_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`query_buckets`'s result with its promised columns and dtypes, also when empty."""
    if frame.empty:
        frame = pd.DataFrame({c: [] for c in BUCKET_COLUMNS})
    return pd.DataFrame(
        {
            "bucket": frame["bucket"].to_numpy(dtype=np.int64),
            "min": frame["min"].to_numpy(dtype=np.float64),
            "max": frame["max"].to_numpy(dtype=np.float64),
            "mean": frame["mean"].to_numpy(dtype=np.float64),
            "count": frame["count"].to_numpy(dtype=np.int64),
        }
    )


def event_filters(
    start_ns: int | None,
    end_ns: int | None,
    machine: str | None,
    kinds: Sequence[EventKind] | None,
    mark: str,
) -> tuple[str, list[Any]]:
    """A WHERE clause with `mark` placeholders (`?` or `%s`) and its parameters."""
    parts: list[str] = []
    params: list[Any] = []
    if start_ns is not None:
        parts.append(f"time >= {mark}")
        params.append(start_ns)
    if end_ns is not None:
        parts.append(f"time < {mark}")
        params.append(end_ns)
    if machine is not None:
        parts.append(f"machine = {mark}")
        params.append(machine)
    if kinds is not None:
        kinds = list(kinds)
        if not kinds:
            return "WHERE false", []
        parts.append("kind IN (" + ", ".join(mark for _ in kinds) + ")")
        params.extend(EventKind(k).value for k in kinds)
    return ("WHERE " + " AND ".join(parts)) if parts else "", params
