"""`jayul bench ingest --opcua-vars N`: the twin server with N variables changing at 1 Hz,
subscribed by jayul's OPC UA source, every change counted.

The server (a process of its own) serves a plant of N/10 machines with 10 signals each and,
once a second, writes every variable with the tick number k = 1, 2, ... (so a missed change
is countable: each variable must show every k). jayul's source subscribes with a publishing
interval of 500 ms and a per-item queue, through the durable buffer into DuckDB; the figures
count, per variable, the ticks the server completed that never reached the store.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jayul.connect.bindings import Bindings, Connect, Limits, OpcUaSource, ServerConfig
from jayul.connect.ingest import Ingest
from jayul.plant import Plant, load_demo_plant
from jayul.records import Samples, utc_now_ns

SIGNALS_PER_MACHINE = 10


def wide_plant(n_vars: int) -> Plant:
    """A plant of `n_vars` signals: n_vars / 10 machines of one type with 10 signals."""
    demo = load_demo_plant().model_dump()
    pump = demo["machine_types"]["pump"]
    pump["signals"] = [
        {"id": f"s{j}", "unit": "1", "nominal": 0.0, "noise": 0.0, "low": -1e12, "high": 1e12}
        for j in range(SIGNALS_PER_MACHINE)
    ]
    for fm in pump["failure_modes"]:
        fm["effects"] = {"s0": 1.0}
    n_machines = max(n_vars // SIGNALS_PER_MACHINE, 1)
    demo["machine_types"] = {"pump": pump}
    demo["machines"] = [
        {"id": f"m{i:05d}", "type": "pump", "line": "line1"} for i in range(n_machines)
    ]
    demo["orders"]["products"] = [{"id": "p", "routing": ["wash"], "work": 1.0, "share": 1.0}]
    return Plant.model_validate(demo)


def serve_counter(n_vars: int, port: int, ticks: int, status: Any) -> None:
    """Server process: write every variable with k at each second k = 1..ticks."""
    from jayul.connect.opcua_server import TwinServer

    plant = wide_plant(n_vars)

    async def main() -> None:
        server = await TwinServer(plant, ServerConfig(port=port, host="127.0.0.1")).start()
        machines = np.repeat([m.id for m in plant.machines], SIGNALS_PER_MACHINE)
        signals = np.tile([f"s{j}" for j in range(SIGNALS_PER_MACHINE)], len(plant.machines))
        status["ready"] = True
        while not status.get("go"):
            await asyncio.sleep(0.05)
        start = time.monotonic()
        worst = 0.0
        for k in range(1, ticks + 1):
            await asyncio.sleep(max(start + k - time.monotonic(), 0.0))
            began = time.monotonic()
            now = utc_now_ns()
            batch = Samples.build(
                np.full(len(machines), now), machines, signals, np.full(len(machines), float(k))
            )
            await server.publish(batch)
            worst = max(worst, time.monotonic() - began)
            status["ticks"] = k
        status["worst_tick_s"] = worst
        status["late_s"] = time.monotonic() - (start + ticks)
        await asyncio.sleep(3)  # the last publishing intervals
        status["done"] = True
        while not status.get("stop"):
            await asyncio.sleep(0.1)
        await server.stop()

    asyncio.run(main())


def run_opcua_bench(
    n_vars: int = 10_000,
    seconds: int = 60,
    progress: Callable[[float], None] | None = None,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Run the trial (see module doc); return counts of changes sent, stored and missed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    plant = wide_plant(n_vars)
    work = workdir or Path(tempfile.mkdtemp(prefix="jayul-bench-opcua-"))
    ctx = mp.get_context("spawn")
    manager = ctx.Manager()
    status = manager.dict()
    server = ctx.Process(target=serve_counter, args=(n_vars, port, seconds, status), daemon=True)
    server.start()
    deadline = time.monotonic() + 300  # building 10 000 nodes takes a while
    while not status.get("ready") and time.monotonic() < deadline:
        time.sleep(0.2)
    seen: list[pd.DataFrame] = []

    def on_stored(batch: Samples) -> None:
        seen.append(pd.DataFrame({"m": batch.machine, "s": batch.signal, "v": batch.value}))

    src = OpcUaSource(
        kind="opcua",
        endpoint=f"opc.tcp://127.0.0.1:{port}",
        publishing_interval_ms=500,
        queue_size=10,
    )
    connect = Connect(sources=[src], limits=Limits(max_age_s=None))
    ingest = Ingest(
        Bindings(plant, connect, work / "bench.yaml"),
        historian="duckdb://:memory:?threads=1",
        buffer=work / "buffer",
        on_stored=on_stored,
    ).start()
    source = ingest.sources[0]
    subscribed = source.subscribed.wait(300)  # type: ignore[attr-defined]
    status["go"] = True
    started = time.monotonic()
    while not status.get("done") and server.is_alive():
        time.sleep(0.5)
        if progress is not None:
            progress(min(time.monotonic() - started, seconds))
    time.sleep(1.0)
    ingest.stop()
    status["stop"] = True
    server.join(30)
    ticks = int(status.get("ticks", 0))
    frame = pd.concat(seen) if seen else pd.DataFrame({"m": [], "s": [], "v": []})
    frame = frame[(frame.v >= 1) & (frame.v <= ticks)].drop_duplicates()
    per_var = frame.groupby(["m", "s"]).size()
    n_vars_total = len(plant.machines) * SIGNALS_PER_MACHINE
    expected = ticks * n_vars_total
    return {
        "variables": len(plant.machines) * SIGNALS_PER_MACHINE,
        "subscribed": subscribed and source.stats.subscribed,  # type: ignore[attr-defined]
        "ticks_completed": ticks,
        "changes_sent": expected,
        "changes_stored": len(frame),
        "changes_missed": int(expected - len(frame)),
        "variables_with_a_miss": n_vars_total - int((per_var == ticks).sum()),
        "server_worst_tick_s": status.get("worst_tick_s"),
        "server_late_s": status.get("late_s"),
        "notifications": source.stats.changes,  # type: ignore[attr-defined]
    }
