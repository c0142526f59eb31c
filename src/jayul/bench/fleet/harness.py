"""`jayul bench fleet`: N simulated sites through NATS JetStream into the centre's PostgreSQL,
disturbed on a fixed timeline, then counted at the centre.

Timeline (fractions of `seconds`): at `nats_restart_at` (0.25 by default) the NATS server is
restarted (`restart_s` down); at `centre_kill_at` (0.5) the centre is SIGKILLed and started
again after `restart_s`; at `offline_at` (0.6 by
default) site 0 goes offline for `offline_s` (a fifth of the run by default): its publisher
stopped, its loop still offering to its outbox. The steps run in time order; one that is due
while another is still running (the centre starting again) runs right after it. Then the
sites stop producing and the run waits until every outbox is empty and the centre holds
every sample.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from jayul.bench.fleet.processes import CentreProcess, PrivateNats, cpu_seconds
from jayul.bench.fleet.sites import Sites
from jayul.bench.fleet.stages import stage_latencies


def run_fleet(
    sites: int,
    rate: float,
    seconds: float,
    dsn: str,
    work: Path,
    nats_url: str | None,
    restart_s: float = 3.0,
    offline: bool = True,
    offline_at: float = 0.6,
    offline_s: float | None = None,
    nats_restart_at: float = 0.25,
    centre_kill_at: float = 0.5,
    say: Callable[[str], None] = print,
    centre_writers: int = 2,
) -> dict[str, Any]:
    # 50 sites each warn on every reconnection attempt while NATS is down: expected here, and
    # the counts at the centre are the proof; keep the console for the timeline
    logging.getLogger("jayul.fleet").setLevel(logging.ERROR)
    token = uuid.uuid4().hex[:8]
    stream, prefix, schema = f"BENCH_{token}", f"bench{token}", f"bench_fleet_{token}"
    nats: PrivateNats | None = None
    if nats_url is None:
        nats = PrivateNats(work / "nats")
        nats.start()
        nats_url = nats.url
    centre = CentreProcess(
        ["--db", dsn, "--schema", schema, "--nats", nats_url, "--stream", stream,
         "--subject-prefix", prefix, "--writers", str(centre_writers)],
        work / "centre.log",
    )  # fmt: skip
    fleet = Sites(sites, rate, nats_url, stream, prefix, work)
    cpu_self = _self_cpu()
    pg_cpu = PgBackendCpu(dsn)
    centre.start()
    startup_cpu = centre.wait_ready(nats_url, stream, "jayul-centre")
    events: dict[str, float] = {}
    started_ns = time.time_ns()
    t0 = time.monotonic()
    fleet.start()

    load: list[float] = [os.getloadavg()[0]]  # the machine's other work, for the report

    def at(fraction: float) -> None:
        while time.monotonic() - t0 < fraction * seconds:
            pg_cpu.sample()
            load.append(os.getloadavg()[0])
            time.sleep(0.2)

    def centre_kill() -> None:
        nonlocal startup_cpu
        say("SIGKILL to the centre")
        events["centre_kill_s"] = time.monotonic() - t0
        pg_cpu.sample()
        centre.kill()
        time.sleep(restart_s)
        centre.start()
        startup_cpu += centre.wait_ready(nats_url, stream, "jayul-centre")
        events["centre_consuming_s"] = time.monotonic() - t0

    def nats_restart() -> None:
        assert nats is not None
        say("restarting the NATS server")
        events["nats_restart_s"] = time.monotonic() - t0
        nats.stop()
        time.sleep(restart_s)
        nats.start()

    def site_offline() -> None:
        say(f"site 0 offline for {outage_s:g} s")
        events["site_offline_s"] = time.monotonic() - t0
        fleet.edges[0].stop()

    def site_online() -> None:
        back = events["site_offline_s"] + outage_s  # the full outage, even if it began late
        while time.monotonic() - t0 < back:
            pg_cpu.sample()
            time.sleep(0.2)
        events["site_online_s"] = time.monotonic() - t0
        say("site 0 back online")
        fleet.start_site(0)

    outage_s = 0.2 * seconds if offline_s is None else offline_s
    timeline: list[tuple[float, Callable[[], None]]] = [(centre_kill_at * seconds, centre_kill)]
    if nats is not None:
        timeline.append((nats_restart_at * seconds, nats_restart))
    if offline:
        timeline += [
            (offline_at * seconds, site_offline),
            (offline_at * seconds + outage_s, site_online),
        ]
    timeline.sort(key=lambda e: e[0])
    try:
        for when, action in timeline:  # in order; one that runs late delays the next
            at(when / seconds)
            action()
        at(1.0)
        fleet.stop_producing()
        produced_s = time.monotonic() - t0
        produced = sum(fleet.offered)
        say(f"produced {produced:,} samples in {produced_s:.1f} s; waiting for the centre")
        drained = _wait_stored(
            dsn, schema, produced, fleet, pg_cpu, timeout=max(120.0, seconds), say=say
        )
        drain_s = time.monotonic() - t0 - produced_s
        figures = _count(dsn, schema, fleet.offered, started_ns, events)
        pg_cpu.sample()
        cpu = {
            "centre_cpu_s": round(centre.cpu() - startup_cpu, 2),
            "postgres_backend_cpu_s": round(pg_cpu.total(), 2),
            "nats_cpu_s": round(nats.cpu(), 2) if nats is not None else None,
            "sites_cpu_s": round(_self_cpu() - cpu_self, 2),
        }
    finally:
        fleet.stop_producing()
        fleet.close()
        pg_cpu.close()
        centre.stop()
        if nats is not None:
            nats.stop()
        _drop(dsn, schema)
    stored = figures["samples_stored_distinct"]
    per_cpu = {
        f"samples_per_cpu_s_{k.removesuffix('_cpu_s')}": round(stored / v) if v else None
        for k, v in cpu.items()
    }
    return {
        "sites": sites,
        "rate_per_site": rate,
        "seconds": seconds,
        "centre_writers": centre_writers,
        "samples_offered": produced,
        "offered_per_s": round(produced / produced_s),
        "producer_max_lag_s": round(fleet.lag_s, 2),
        "load_average_1min": {"start": load[0], "min": min(load), "max": max(load)},
        "drained": drained,
        "drain_after_produce_s": round(drain_s, 1),
        **figures,
        **cpu,
        **per_cpu,
        "centre_startup_cpu_s": round(startup_cpu, 2),
        "nats_restart": nats is not None,
        "events_at_s": {k: round(v, 1) for k, v in events.items()},
    }


class PgBackendCpu:
    """CPU seconds of the PostgreSQL backends serving the centre (its COPY and commits run
    there), summed over the backends the run saw (a killed centre's backend ends)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.seen: dict[int, float] = {}
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None

    def sample(self) -> None:
        try:  # one connection kept: its own cost counts in the sites' CPU (same process)
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(self.dsn, autocommit=True)
            pids = self._conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'jayul-fleet-centre'"
            ).fetchall()
        except psycopg.Error:
            self._conn = None
            return
        for (pid,) in pids:
            used = cpu_seconds(int(pid))
            if used:
                self.seen[int(pid)] = max(self.seen.get(int(pid), 0.0), used)

    def total(self) -> float:
        return sum(self.seen.values())

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def _self_cpu() -> float:
    t = os.times()
    return t.user + t.system


def _wait_stored(
    dsn: str,
    schema: str,
    produced: int,
    fleet: Sites,
    pg_cpu: PgBackendCpu,
    timeout: float,
    say: Callable[[str], None],
) -> bool:
    end = time.monotonic() + timeout
    last_said = time.monotonic()
    while time.monotonic() < end:
        pg_cpu.sample()
        with psycopg.connect(dsn, autocommit=True) as conn:
            row = conn.execute(f'SELECT coalesce(sum(samples), 0) FROM "{schema}".sites').fetchone()
        if fleet.backlog() == 0 and row is not None and int(row[0]) >= produced:
            return True
        if time.monotonic() - last_said > 5:
            last_said = time.monotonic()
            backlog = [e.outbox.backlog() for e in fleet.edges]
            say(f"  sites' backlogs {backlog}, centre holds {row[0] if row else 0:,}")
        time.sleep(0.5)
    return False


def _count(
    dsn: str, schema: str, offered: list[int], started_ns: int, events: dict[str, float]
) -> dict[str, Any]:
    s = f'"{schema}"'
    rows = distinct = lost = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET work_mem = '256MB'")  # one site's times sorted in memory
        site_ids: dict[str, int] = dict(
            conn.execute(f"SELECT site, site_id FROM {s}.sites").fetchall()
        )
        for i, n in enumerate(offered):  # a sample is (site, time): times are unique per site
            site_id = site_ids.get(f"site-{i:03d}")
            r, d = conn.execute(
                f"SELECT count(*), count(DISTINCT t) FROM {s}.sample_blocks b, unnest(b.time) t "
                "WHERE site_id = %s",
                (site_id,),
            ).fetchone() or (0, 0)
            rows, distinct, lost = rows + int(r), distinct + int(d), lost + n - int(d)
        first, last = conn.execute(
            f"SELECT min(offered_ns), max(stored_ns) FROM {s}.messages"
        ).fetchone() or (0, 0)
        calm_s = min(events.values(), default=1e9)
        calm_end = started_ns + int(calm_s * 1e9)
        (calm_rows,) = conn.execute(
            f"SELECT coalesce(sum(rows), 0) FROM {s}.messages "
            "WHERE kind = 'samples' AND stored_ns < %s",
            (calm_end,),
        ).fetchone() or (0,)
        p50, p99, p99_calm = conn.execute(
            f"""SELECT
                percentile_disc(0.5) WITHIN GROUP (ORDER BY stored_ns - offered_ns),
                percentile_disc(0.99) WITHIN GROUP (ORDER BY stored_ns - offered_ns),
                percentile_disc(0.99) WITHIN GROUP (ORDER BY stored_ns - offered_ns)
                    FILTER (WHERE offered_ns < %s)
            FROM {s}.messages WHERE kind = 'samples'""",
            (calm_end,),
        ).fetchone() or (None, None, None)
        stages = {
            "stages_before_disturbances": stage_latencies(conn, schema, calm_end),
            "stages_overall": stage_latencies(conn, schema),
        }
        (size,) = conn.execute(
            "SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits "
            "WHERE inhparent = %s::regclass",
            (f"{s}.sample_blocks",),
        ).fetchone() or (0,)
    span = (int(last) - int(first)) / 1e9 if first and last else 0.0
    return {
        "samples_stored_rows": int(rows),
        "samples_stored_distinct": int(distinct),
        "samples_lost": lost,
        "samples_duplicated": int(rows) - int(distinct),
        "postgres_bytes_per_sample": round(int(size) / int(distinct), 1) if distinct else None,
        "end_to_end_samples_per_s": round(int(distinct) / span) if span else None,
        "latency_p50_s": _s(p50),
        "latency_p99_s": _s(p99),
        "latency_p99_before_disturbances_s": _s(p99_calm),
        "stored_per_s_before_disturbances": round(int(calm_rows) / calm_s) if events else None,
        **stages,
    }


def _s(ns: Any) -> float | None:
    return round(int(ns) / 1e9, 3) if ns is not None else None


def _drop(dsn: str, schema: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
