"""`jayul bench fleet --storage`: the centre's two candidate layouts in PostgreSQL side by side,
same rows, same run: one table partitioned by site (what `jayul fleet serve` uses) against one
schema per site. Ingest by COPY, then the console's cross-site question (alerts per site)."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import psycopg

_SAMPLES = "(site text, time bigint, machine text, signal text, value float8, quality smallint)"
_EVENTS = "(site text, id text, time bigint, kind text, PRIMARY KEY (site, id))"


def compare_layouts(dsn: str, sites: int, rows_per_site: int = 20_000) -> dict[str, Any]:
    token = uuid.uuid4().hex[:8]
    part, per = f"bench_part_{token}", f"bench_site_{token}"
    rng = np.random.default_rng(0)
    values = rng.normal(50, 5, rows_per_site)
    names = [f"s{i:04d}" for i in range(sites)]
    with psycopg.connect(dsn, autocommit=True) as conn:
        try:
            conn.execute(f"CREATE SCHEMA {part}")
            conn.execute(f"CREATE TABLE {part}.samples {_SAMPLES} PARTITION BY LIST (site)")
            conn.execute(f"CREATE TABLE {part}.events {_EVENTS}")
            for s in names:
                conn.execute(
                    f"CREATE TABLE {part}.samples_{s} PARTITION OF {part}.samples "
                    f"FOR VALUES IN ('{s}')"
                )
                conn.execute(f"CREATE SCHEMA {per}_{s}")
                conn.execute(f"CREATE TABLE {per}_{s}.samples {_SAMPLES}")
                conn.execute(f"CREATE TABLE {per}_{s}.events {_EVENTS}")
            copy_part = _copy_all(conn, names, values, lambda s: f"{part}.samples")
            copy_per = _copy_all(conn, names, values, lambda s: f"{per}_{s}.samples")
            for s in names:
                for table in (f"{part}.events", f"{per}_{s}.events"):
                    with conn.cursor() as cur:
                        cur.executemany(
                            f"INSERT INTO {table} VALUES (%s, %s, %s, %s)",
                            [(s, f"e{k}", k, "alert" if k % 3 else "action") for k in range(60)],
                        )
            conn.execute("ANALYZE")
            one = f"SELECT site, count(*) FROM {part}.events WHERE kind = 'alert' GROUP BY site"
            union = " UNION ALL ".join(
                f"SELECT '{s}', count(*) FROM {per}_{s}.events WHERE kind = 'alert'" for s in names
            )
            q_part = _median_ms(conn, one)
            q_per = _median_ms(conn, union)
        finally:
            conn.execute(f"DROP SCHEMA IF EXISTS {part} CASCADE")
            for s in names:
                conn.execute(f"DROP SCHEMA IF EXISTS {per}_{s} CASCADE")
    return {
        "sites": sites,
        "rows_per_site": rows_per_site,
        "copy_rows_per_s_partitioned": round(copy_part),
        "copy_rows_per_s_schema_per_site": round(copy_per),
        "alerts_per_site_query_ms_partitioned": round(q_part, 2),
        "alerts_per_site_query_ms_schema_per_site": round(q_per, 2),
        "query_ratio_schema_per_site_to_partitioned": round(q_per / q_part, 1),
    }


def _copy_all(
    conn: psycopg.Connection[Any], names: list[str], values: np.ndarray, table: Callable[[str], str]
) -> float:
    started = time.perf_counter()
    total = 0
    for s in names:
        with conn.transaction(), conn.cursor().copy(
            f"COPY {table(s)} (site, time, machine, signal, value, quality) FROM STDIN"
        ) as cp:  # fmt: skip
            for k, v in enumerate(values.tolist()):
                cp.write_row((s, k, "pump1", "vib_rms", v, 0))
        total += len(values)
    return total / (time.perf_counter() - started)


def _median_ms(conn: psycopg.Connection[Any], query: str, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        conn.execute(query).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)
