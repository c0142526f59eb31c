"""What the history explorer draws: signals downsampled to buckets, and the plant's events on
the same time axis.

Downsampling keeps every bucket's min and max (and its mean and count), so a spike of one
sample in a year still reaches the chart: a chart of N buckets draws the band min..max and
the mean, and no extreme is lost however far it is zoomed out. Buckets are computed in the
store (`Historian.query_buckets_many`: one aggregate query, DuckDB scanning the range once
for every signal), so a year of one-minute
data crosses the wire as a few thousand numbers per signal.

Events become markers (alerts, failures) and bands (maintenance, repair: from their start to
their end, or to the range's end while still open).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jayul.historian.base import Historian, check_range
from jayul.records import EventKind

MARKER_KINDS = (EventKind.ALERT, EventKind.FAILURE)
BAND_KINDS = {
    EventKind.MAINTENANCE_START: ("maintenance", EventKind.MAINTENANCE_END),
    EventKind.REPAIR_START: ("repair", EventKind.REPAIR_END),
}
MAX_MARKERS = 2000


@dataclass
class Downsampled:
    """Signals on one shared bucket axis: `time` holds each bucket's start (ns); per signal,
    `min`, `max`, `mean` (NaN where a bucket holds no sample) and `count`."""

    start_ns: int
    end_ns: int
    bucket_ns: int
    time: np.ndarray
    signals: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        def clean(a: np.ndarray) -> list[float | None]:
            # NaN (an empty bucket) is null in JSON; done on arrays, not value by value
            values = a.astype(object)
            values[~np.isfinite(a)] = None
            out: list[float | None] = values.tolist()
            return out

        return {
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "bucket_ns": self.bucket_ns,
            "time": self.time.astype(np.int64).tolist(),
            "signals": {
                s: {
                    "min": clean(v["min"]),
                    "max": clean(v["max"]),
                    "mean": clean(v["mean"]),
                    "count": v["count"].astype(np.int64).tolist(),
                }
                for s, v in self.signals.items()
            },
        }


def downsample(
    historian: Historian,
    machine: str,
    signals: Sequence[str],
    start_ns: int,
    end_ns: int,
    buckets: int,
) -> Downsampled:
    """Each signal's min, max, mean and count in `buckets` equal buckets over [start, end)."""
    check_range(start_ns, end_ns)
    if buckets < 1:
        raise ValueError(f"buckets must be at least 1, got {buckets}")
    bucket_ns = max(-(-(end_ns - start_ns) // buckets), 1)  # ceil: the last bucket ends at end
    n = max(-(-(end_ns - start_ns) // bucket_ns), 1)
    time = start_ns + bucket_ns * np.arange(n, dtype=np.int64)
    out = Downsampled(start_ns, end_ns, bucket_ns, time)
    frames = historian.query_buckets_many(machine, list(signals), start_ns, end_ns, bucket_ns)
    for signal in signals:
        frame = frames[signal]
        cols = {k: np.full(n, np.nan) for k in ("min", "max", "mean")}
        count = np.zeros(n, dtype=np.int64)
        if len(frame):
            k = ((frame["bucket"].to_numpy(np.int64) - start_ns) // bucket_ns).clip(0, n - 1)
            for c in ("min", "max", "mean"):
                cols[c][k] = frame[c].to_numpy(np.float64)
            count[k] = frame["count"].to_numpy(np.int64)
        out.signals[signal] = {**cols, "count": count}
    return out


def markers(
    historian: Historian, machine: str | None, start_ns: int, end_ns: int
) -> dict[str, Any]:
    """Alerts and failures as markers, maintenance and repairs as bands, in [start, end)."""
    check_range(start_ns, end_ns)
    points: list[dict[str, Any]] = []
    for e in historian.query_events(start_ns, end_ns, machine, list(MARKER_KINDS)):
        p = e.payload
        text = p.get("reason") if e.kind is EventKind.ALERT else p.get("mode", "failure")
        points.append({"time": e.time, "kind": e.kind.value, "machine": e.machine, "text": text})
    thinned = len(points) > MAX_MARKERS
    if thinned:  # keep every failure, and alerts evenly spread
        failures = [m for m in points if m["kind"] != "alert"]
        alerts = [m for m in points if m["kind"] == "alert"]
        step = -(-len(alerts) // max(MAX_MARKERS - len(failures), 1))
        points = sorted(failures + alerts[::step], key=lambda m: m["time"])
    kinds = [*BAND_KINDS, *(end for _, end in BAND_KINDS.values())]
    # a band that began before the range still shows: look back for its start
    lookback = max(start_ns - 30 * 24 * 3_600_000_000_000, 0)
    opened: dict[tuple[str | None, str], dict[str, Any]] = {}
    bands: list[dict[str, Any]] = []
    ends = {end: label for label, end in BAND_KINDS.values()}
    for e in historian.query_events(lookback, end_ns, machine, kinds):
        if e.kind in BAND_KINDS:
            label = BAND_KINDS[e.kind][0]
            what = e.payload.get("action") or e.payload.get("mode") or label
            opened[(e.machine, label)] = {
                "start": e.time,
                "kind": label,
                "machine": e.machine,
                "text": str(what),
            }
        elif e.kind in ends:
            band = opened.pop((e.machine, ends[e.kind]), None)
            if band is not None and e.time >= start_ns:
                bands.append({**band, "start": max(band["start"], start_ns), "end": e.time})
    for band in opened.values():
        bands.append({**band, "start": max(band["start"], start_ns), "end": end_ns, "open": True})
    return {"markers": points, "bands": sorted(bands, key=lambda b: b["start"]), "thinned": thinned}
