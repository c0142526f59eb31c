"""The historian benchmark: append throughput and bucketed 1-day query latency.

Synthetic plant data: `machines` x `signals` series sampled together every `step_ns` (1 s by
default), written in time order in batches of `batch_size`, as a connector would deliver
them. Only the `append_samples` calls are timed, not making the data. Then `queries` bucketed
queries, each of a different (machine, signal) over a random 1-day window inside the stored
span, are timed one by one; the figures are their median and 95th percentile.

Targets (issue 2): at least 1 million samples/s appended (batches of 100k) on DuckDB, and a
1-day bucketed query of one signal out of 100 million stored samples in at most 100 ms.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from jayul.historian import Historian
from jayul.records import Samples

NS_PER_S = 1_000_000_000
DAY_NS = 86_400 * NS_PER_S
START_NS = 1_735_689_600 * NS_PER_S  # 2025-01-01T00:00:00Z
TARGET_APPEND_PER_S = 1_000_000
TARGET_QUERY_MS = 100.0

Progress = Callable[[int], None]


def series_names(machines: int, signals: int) -> tuple[list[str], list[str]]:
    """Machine and signal ids of the synthetic plant."""
    return [f"m{i:03d}" for i in range(machines)], [f"s{j:02d}" for j in range(signals)]


def synthetic_batches(
    n_samples: int,
    batch_size: int,
    machines: int = 10,
    signals: int = 10,
    step_ns: int = NS_PER_S,
    seed: int = 0,
) -> Iterator[Samples]:
    """Batches of synthetic samples, all series interleaved in time order, `n_samples` in all.

    Values are a slow daily wave per series plus noise, so buckets hold distinct figures.
    """
    if n_samples < 0 or batch_size <= 0:
        raise ValueError("n_samples must be >= 0 and batch_size > 0")
    machine_ids, signal_ids = series_names(machines, signals)
    n_series = machines * signals
    per_series_machine = np.repeat(np.array(machine_ids, dtype=object), signals)
    per_series_signal = np.tile(np.array(signal_ids, dtype=object), machines)
    offsets = np.arange(n_series, dtype=np.float64)
    rng = np.random.default_rng(seed)
    written = 0
    while written < n_samples:
        n = min(batch_size, n_samples - written)
        row = written + np.arange(n, dtype=np.int64)
        step, series = np.divmod(row, n_series)
        t = START_NS + step * step_ns
        phase = (t - START_NS) / DAY_NS * 2 * np.pi
        value = 10 * np.sin(phase + offsets[series]) + rng.normal(size=n)
        yield Samples(
            time=t,
            machine=per_series_machine[series],
            signal=per_series_signal[series],
            value=value,
            quality=np.zeros(n, dtype=np.uint8),
        )
        written += n


def measure_append(
    historian: Historian,
    batches: Iterator[Samples],
    progress: Progress | None = None,
    dedupe: bool = False,
) -> dict[str, Any]:
    """Append every batch (with `dedupe` as given), timing only the appends."""
    seconds = 0.0
    written = 0
    count = 0
    for batch in batches:
        t0 = time.perf_counter()
        written += historian.append_samples(batch, dedupe=dedupe)
        seconds += time.perf_counter() - t0
        count += 1
        if progress is not None:
            progress(len(batch))
    return {
        "samples_appended": written,
        "batches": count,
        "append_seconds": seconds,
        "append_samples_per_s": written / seconds if seconds > 0 else float("nan"),
    }


def measure_queries(
    historian: Historian,
    span_ns: int,
    machines: int,
    signals: int,
    queries: int,
    window_ns: int = DAY_NS,
    bucket_ns: int = 60 * NS_PER_S,
    seed: int = 1,
) -> dict[str, Any]:
    """Time `queries` bucketed queries of different series over random windows in the span."""
    machine_ids, signal_ids = series_names(machines, signals)
    rng = np.random.default_rng(seed)
    pairs = [(m, s) for m in machine_ids for s in signal_ids]
    order = rng.permutation(len(pairs))
    latencies: list[float] = []
    rows: list[int] = []
    samples_seen: list[int] = []
    for k in range(queries):
        machine, signal = pairs[int(order[k % len(pairs)])]
        room = max(span_ns - window_ns, 0)
        start = START_NS + int(rng.integers(0, room + 1))
        t0 = time.perf_counter()
        frame = historian.query_buckets(machine, signal, start, start + window_ns, bucket_ns)
        latencies.append((time.perf_counter() - t0) * 1e3)
        rows.append(len(frame))
        samples_seen.append(int(frame["count"].sum()))
    lat = np.array(latencies)
    return {
        "queries": queries,
        "window_s": window_ns / NS_PER_S,
        "bucket_s": bucket_ns / NS_PER_S,
        "buckets_per_query_median": float(np.median(rows)) if rows else float("nan"),
        "samples_per_query_median": float(np.median(samples_seen)) if rows else float("nan"),
        "query_ms_first": float(lat[0]) if len(lat) else float("nan"),
        "query_ms_median": float(np.median(lat)) if len(lat) else float("nan"),
        "query_ms_p95": float(np.percentile(lat, 95)) if len(lat) else float("nan"),
        "query_ms_max": float(lat.max()) if len(lat) else float("nan"),
    }


def run_historian_bench(
    historian: Historian,
    n_samples: int,
    batch_size: int = 100_000,
    machines: int = 10,
    signals: int = 10,
    queries: int = 20,
    bucket_ns: int = 60 * NS_PER_S,
    progress: Progress | None = None,
    dedupe: bool = False,
) -> dict[str, Any]:
    """Fill an empty historian with `n_samples` synthetic samples, then query it; the figures."""
    if historian.count_samples() != 0:
        raise ValueError("the benchmark needs an empty historian")
    step_ns = NS_PER_S
    figures: dict[str, Any] = {
        "samples": n_samples,
        "batch": batch_size,
        "machines": machines,
        "signals": signals,
        "series": machines * signals,
        "step_s": step_ns / NS_PER_S,
        "dedupe": dedupe,
    }
    batches = synthetic_batches(n_samples, batch_size, machines, signals, step_ns)
    figures.update(measure_append(historian, batches, progress, dedupe))
    figures["stored_samples"] = historian.count_samples()
    span_ns = -(-n_samples // (machines * signals)) * step_ns
    figures["span_days"] = span_ns / DAY_NS
    figures.update(
        measure_queries(historian, span_ns, machines, signals, queries, DAY_NS, bucket_ns)
    )
    figures["target_append_samples_per_s"] = TARGET_APPEND_PER_S
    figures["target_query_ms"] = TARGET_QUERY_MS
    # the append target is for the plain (fast) path
    figures["append_target_met"] = (
        not dedupe and figures["append_samples_per_s"] >= TARGET_APPEND_PER_S
    )
    figures["query_target_met"] = figures["query_ms_p95"] <= TARGET_QUERY_MS
    # the query target is stated for 100 M stored samples; smaller runs only exercise the code
    figures["at_target_scale"] = n_samples >= 100_000_000
    return figures
