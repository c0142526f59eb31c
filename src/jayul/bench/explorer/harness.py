"""`jayul bench explorer`: the history explorer's API on a year of one-minute data for 8
signals (4.2 M samples): the first draw of the whole year and zooms into it, timed through the
HTTP stack (FastAPI's TestClient: the whole request path in one process, no network).

The data are synthetic (a random walk with a daily cycle per signal, a few one-sample spikes)
written to a DuckDB historian file; 300 alerts and 20 maintenance bands lie on the same year
so the markers are part of every answer.

Each request is timed in wall time and in the process's CPU time (every thread, DuckDB's
too), and right after it, in the same run, its peer: one plain DuckDB statement computing the
same min/max/mean/count buckets of the same signals on the same connection, its rows fetched
into Python. The ratios explorer / peer (medians over the pairs) say what the explorer adds
to the database's own work (markers, derived series, arrays, JSON, HTTP) whatever the load.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from jayul.autopilot import Autopilot
from jayul.decide.named import make_policy
from jayul.historian.open import open_historian
from jayul.historian.sql_store import SqlHistorian
from jayul.plant import load_plant
from jayul.records import Event, EventKind, Samples
from jayul.records.timebase import NS_PER_H

MINUTE = 60_000_000_000
YEAR_MIN = 365 * 24 * 60


def fill_year(
    db: Path, plant_file: Path, machine: str = "pump1", seed: int = 0, minutes: int = YEAR_MIN
) -> dict[str, Any]:
    """Write a year (or `minutes`) of one-minute samples of every signal of `machine` (ending
    at the plant's start, where the twin's clock begins) and events on the same span."""
    plant = load_plant(plant_file)
    signals = [s.id for s in plant.machine_type(machine).signals]
    end = int(plant.start.timestamp()) * 1_000_000_000
    start = end - minutes * MINUTE
    t = start + np.arange(minutes, dtype=np.int64) * MINUTE
    rng = np.random.default_rng(seed)
    day = np.sin(2 * np.pi * np.arange(minutes) / 1440.0)
    with open_historian(str(db)) as h:
        for k, s in enumerate(signals):
            v = 10.0 * (k + 1) + np.cumsum(rng.normal(0, 0.02, minutes)) + day
            v[rng.choice(minutes, 3, replace=False)] += 50.0  # spikes the chart must keep
            h.append_samples(Samples.build(t, machine, s, v))
        hours = rng.choice(minutes // 60, 320, replace=False) * NS_PER_H + start
        events = [
            Event(time=int(x), machine=machine, kind=EventKind.ALERT, payload={"reason": "x"})
            for x in hours[:300]
        ]
        for x in sorted(hours[300:]):
            events.append(
                Event(
                    time=int(x),
                    machine=machine,
                    kind=EventKind.MAINTENANCE_START,
                    payload={"action": "bearing_service"},
                )
            )
            events.append(
                Event(time=int(x) + 4 * NS_PER_H, machine=machine, kind=EventKind.MAINTENANCE_END)
            )  # fmt: skip
        h.append_events(events)
        total = h.count_samples()
    return {"samples": total, "signals": len(signals), "start_ns": start, "end_ns": end}


def _pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q))


def time_explorer(
    db: Path,
    plant_file: Path,
    year: dict[str, Any],
    machine: str = "pump1",
    draws: int = 10,
    zooms: int = 50,
    buckets: int = 800,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """First draws of the whole year and random zooms (1 hour to 30 days), in ms."""
    from fastapi.testclient import TestClient

    from jayul.server import LiveState, create_app
    from jayul.server.users import Role
    from jayul.twin import Twin

    plant = load_plant(plant_file)
    historian = open_historian(str(db))
    twin = Twin(plant, seed=0, signals=False)
    pilot = Autopilot(twin, make_policy("reactive", plant))
    state = LiveState(plant, pilot, historian, ":memory:")
    state.users.add("bench", Role.VIEWER, "bench-password-1", by="bench")
    start, end = int(year["start_ns"]), int(year["end_ns"])
    first: list[float] = []
    zoom: list[float] = []
    cpu: dict[str, list[float]] = {"first": [], "zoom": []}
    peer: dict[str, list[tuple[float, float]]] = {"first": [], "zoom": []}  # (wall, cpu) ms
    sizes: list[int] = []
    if not isinstance(historian, SqlHistorian):
        raise RuntimeError(f"{db}: the explorer bench needs a DuckDB historian file")
    sql = historian
    ids = [int(r[0]) for r in sql.run_sql("SELECT id FROM series WHERE machine = ?", [machine])]

    def plain(a: int, b: int, what: str) -> None:
        """The peer: the same buckets by DuckDB alone, rows fetched into Python."""
        width = max(-(-(b - a) // buckets), 1)
        t0, c0 = time.perf_counter(), time.process_time()
        sql.run_sql(
            "SELECT series_id, ? + ((time - ?) // ?) * ? AS bucket, "
            "min(value), max(value), avg(value), count(*) FROM samples "
            "WHERE list_contains(?, series_id) AND time >= ? AND time < ? "
            "GROUP BY 1, 2 ORDER BY 1, 2",
            [a, a, width, width, ids, a, b],
        )
        took = (time.perf_counter() - t0) * 1000
        peer[what].append((took, (time.process_time() - c0) * 1000))

    with TestClient(create_app(state)) as client:
        token = client.post(
            "/api/login", json={"username": "bench", "password": "bench-password-1"}
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}

        def get(a: int, b: int, what: str) -> float:
            url = f"/api/explore/{machine}?start_ns={a}&end_ns={b}&buckets={buckets}"
            t0, c0 = time.perf_counter(), time.process_time()
            r = client.get(url, headers=headers)
            took = (time.perf_counter() - t0) * 1000
            # the process's CPU (every thread, DuckDB's too): the work itself, apart from
            # waiting for a core on a loaded machine
            cpu[what].append((time.process_time() - c0) * 1000)
            if r.status_code != 200:
                raise RuntimeError(f"explore answered {r.status_code}: {r.text[:200]}")
            sizes.append(len(r.content))
            plain(a, b, what)
            return took

        for k in range(draws):
            first.append(get(start, end, "first"))
            if progress:
                progress(f"first draw {k + 1}/{draws}: {first[-1]:.0f} ms")
        rng = np.random.default_rng(1)
        for k in range(zooms):
            span = int(float(np.exp(rng.uniform(np.log(1), np.log(30 * 24)))) * NS_PER_H)
            a = int(rng.integers(start, end - span))
            zoom.append(get(a, a + span, "zoom"))
            if progress and (k + 1) % 10 == 0:
                progress(f"zoom {k + 1}/{zooms}")
    historian.close()
    return {
        "samples": year["samples"],
        "signals": year["signals"],
        "buckets": buckets,
        "first_draw_ms_cold": first[0],
        "first_draw_ms_p50": statistics.median(first),
        "first_draw_ms_p95": _pct(first, 95),
        "zoom_ms_p50": statistics.median(zoom),
        "zoom_ms_p95": _pct(zoom, 95),
        "zooms": zooms,
        "first_draw_cpu_ms_p50": statistics.median(cpu["first"]),
        "first_draw_cpu_ms_p95": _pct(cpu["first"], 95),
        "zoom_cpu_ms_p50": statistics.median(cpu["zoom"]),
        "zoom_cpu_ms_p95": _pct(cpu["zoom"], 95),
        "answer_kb_median": statistics.median(sizes) / 1024,
        **_peer_figures("first_draw", first, cpu["first"], peer["first"]),
        **_peer_figures("zoom", zoom, cpu["zoom"], peer["zoom"]),
    }


def _peer_figures(
    name: str, wall: list[float], cpu: list[float], peer: list[tuple[float, float]]
) -> dict[str, float]:
    """The peer's medians and the explorer's ratios to it (median of the per-pair ratios)."""
    pw, pc = [w for w, _ in peer], [c for _, c in peer]
    return {
        f"{name}_peer_ms_p50": statistics.median(pw),
        f"{name}_peer_cpu_ms_p50": statistics.median(pc),
        f"{name}_wall_ratio_p50": statistics.median(
            w / max(p, 1e-3) for w, p in zip(wall, pw, strict=True)
        ),
        f"{name}_cpu_ratio_p50": statistics.median(
            c / max(p, 1e-3) for c, p in zip(cpu, pc, strict=True)
        ),
    }
