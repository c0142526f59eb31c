"""`jayul bench ingest`: MQTT through a real broker into a real historian, measured.

A publisher process streams batch messages (the demo plant's signals) at a fixed rate through
Mosquitto; this process ingests them (MQTT source -> durable buffer -> historian writer) and
records, for every stored sample, the time from its publication (its timestamp) to the moment
its batch was committed to the store. The publisher logs every message the broker
acknowledged, so the stored rows are checked against it: acknowledged samples missing from the
store (lost) and rows stored twice (duplicates).
"""

from __future__ import annotations

import multiprocessing as mp
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from jayul.bench.ingest.publisher import OVERSIZE_LIMIT, PublishPlan, run_publisher
from jayul.connect.bindings import Bindings, Connect, Limits, MqttSource
from jayul.connect.ingest import Ingest
from jayul.plant import Plant, load_demo_plant
from jayul.records import Samples


@dataclass
class LatencyLog:
    """Stored-sample counts over time and publish-to-stored latencies (ms)."""

    started: float = field(default_factory=time.monotonic)
    latencies: list[npt.NDArray[np.float32]] = field(default_factory=list)
    stored_at: list[tuple[float, int]] = field(default_factory=list)

    def __call__(self, batch: Samples) -> None:
        now = time.time_ns()
        self.latencies.append(((now - batch.time) / 1e6).astype(np.float32))
        self.stored_at.append((time.monotonic() - self.started, len(batch)))

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        return float(np.percentile(np.concatenate(self.latencies), q))

    def rate_between(self, t0: float, t1: float) -> float:
        n = sum(k for t, k in self.stored_at if t0 <= t < t1)
        return n / max(t1 - t0, 1e-9)


def bench_bindings(
    plant: Plant, host: str, port: int, root: str, client_id: str, max_bytes: int
) -> Bindings:
    connect = Connect(
        sources=[
            MqttSource(kind="mqtt", host=host, port=port, topic_root=root, client_id=client_id)
        ],
        limits=Limits(max_message_bytes=max_bytes),
    )
    return Bindings(plant, connect, Path("<bench>"))


def machine_signals(plant: Plant) -> dict[str, dict[str, float]]:
    """Each machine's signals with a valid value to publish (the nominal level)."""
    return {
        m.id: {s.id: s.nominal or 0.0 for s in plant.machine_type(m.id).signals}
        for m in plant.machines
    }


def read_publisher_log(path: Path) -> tuple[dict[str, list[tuple[int, int]]], dict[str, int]]:
    """Acknowledged valid messages per machine as (first time, rows), and malformed counts."""
    valid: dict[str, list[tuple[int, int]]] = {}
    bad: dict[str, int] = {}
    if not path.exists():
        return valid, bad
    for line in path.read_text().splitlines():
        parts = line.split()
        if parts[0] == "bad":
            bad[parts[1]] = bad.get(parts[1], 0) + 1
        elif len(parts) == 3:
            valid.setdefault(parts[0], []).append((int(parts[1]), int(parts[2])))
    return valid, bad


def audit_store(historian_url: str, log_path: Path, plant: Plant) -> dict[str, int]:
    """Stored rows against the publisher's log: acknowledged samples missing from the store
    (lost), rows stored more than once (duplicates), stored rows nobody acknowledged (extra:
    sent, stored, but the PUBACK to the publisher was cut, so it may have been sent again)."""
    from jayul.historian.open import open_historian

    signals = machine_signals(plant)
    valid, _ = read_publisher_log(log_path)
    lost = duplicates = extra = expected_total = 0
    with open_historian(historian_url) as h:
        for machine, sigs in signals.items():
            msgs = valid.get(machine, [])
            times = (
                np.concatenate([t0 + np.arange(rows) for t0, rows in msgs])
                if msgs
                else np.empty(0, np.int64)
            )
            expected = pd.DataFrame(
                {"signal": np.repeat(list(sigs), len(times)), "time": np.tile(times, len(sigs))}
            ).drop_duplicates()
            expected_total += len(expected)
            stored = h.query_samples(machine, 0, 2**62)[["signal", "time"]]
            duplicates += len(stored) - len(stored.drop_duplicates())
            both = expected.merge(stored.drop_duplicates(), how="outer", indicator=True)
            lost += int((both["_merge"] == "left_only").sum())
            extra += int((both["_merge"] == "right_only").sum())
    return {"acked": expected_total, "lost": lost, "duplicates": duplicates, "extra": extra}


def ensure_session(host: str, port: int, client_id: str, root: str) -> None:
    """Create the ingest client's persistent session and subscription on the broker, as a
    deployment has it before jayul's first start: from now on the broker keeps what is
    published for it, whether the process is up or not."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    done = threading.Event()
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
    c.on_subscribe = lambda *_a: done.set()
    c.connect(host, port)
    c.loop_start()
    c.subscribe(f"{root}/#", qos=1)
    ok = done.wait(10)
    c.disconnect()
    c.loop_stop()
    if not ok:
        raise RuntimeError(f"no SUBACK from the broker at {host}:{port}")


def start_publisher(plan: PublishPlan) -> Any:
    ctx = mp.get_context("spawn")
    proc = ctx.Process(target=run_publisher, args=(plan,), daemon=True)
    proc.start()
    return proc


def run_mqtt_ingest(
    historian_url: str,
    *,
    rate: float,
    seconds: float,
    batch: int = 1000,
    host: str = "127.0.0.1",
    port: int = 1883,
    warmup_s: float = 5.0,
    malformed_every: int = 0,
    malformed_per_valid: int = 1,
    malformed_total: int = 0,
    progress: Callable[[float], None] | None = None,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Stream for `seconds` at `rate` samples/s and return the figures (see module doc)."""
    plant = load_demo_plant()
    tag = uuid.uuid4().hex[:8]
    root = f"jayulbench/{tag}"
    work = workdir or Path(tempfile.mkdtemp(prefix="jayul-bench-ingest-"))
    bindings = bench_bindings(plant, host, port, root, f"jayul-bench-{tag}", OVERSIZE_LIMIT)
    lat = LatencyLog()
    ingest = Ingest(bindings, historian=historian_url, buffer=work / "buffer", on_stored=lat)
    ingest.start()
    source = ingest.sources[0]
    if not getattr(source, "connected").wait(10):  # noqa: B009 - an MqttSource here
        ingest.stop(0)
        raise RuntimeError(f"no MQTT broker at {host}:{port}")
    log_path = work / "publisher.log"
    plan = PublishPlan(
        host,
        port,
        root,
        machine_signals(plant),
        rate,
        seconds,
        batch,
        str(log_path),
        malformed_every,
        malformed_per_valid,
        malformed_total,
        f"jayul-bench-pub-{tag}",
    )
    lat.started = time.monotonic()
    proc = start_publisher(plan)
    while proc.is_alive():
        time.sleep(0.5)
        if progress is not None:
            progress(min(time.monotonic() - lat.started, seconds))
    publish_end = time.monotonic() - lat.started
    if proc.exitcode != 0:
        ingest.stop(0)
        raise RuntimeError(f"the publisher process failed (exit code {proc.exitcode})")
    valid, bad = read_publisher_log(log_path)
    acked = sum(rows * len(plan.machines[m]) for m, msgs in valid.items() for _, rows in msgs)
    deadline = time.monotonic() + 60
    while ingest.intake.stats.samples < acked and time.monotonic() < deadline:
        time.sleep(0.1)
    ingest.stop(drain_s=60)
    drained = time.monotonic() - lat.started
    from jayul.historian.open import open_historian

    with open_historian(historian_url) as h:
        stored = h.count_samples()
        dead = len(h.dead_letters())
    t1 = min(publish_end, seconds)
    return {
        "store": historian_url.split(":", 1)[0],
        "rate_offered": rate,
        "seconds": seconds,
        "batch": batch,
        "samples_acked_by_broker": acked,
        "samples_stored": stored,
        "samples_lost": max(acked - stored, 0),
        "stored_rate_steady": lat.rate_between(warmup_s, t1),
        "stored_rate_overall": stored / drained,
        "drain_after_publish_s": drained - publish_end,
        "latency_p50_ms": lat.percentile(50),
        "latency_p99_ms": lat.percentile(99),
        "latency_max_ms": lat.percentile(100),
        "malformed_acked": sum(bad.values()),
        "malformed_by_kind": bad,
        "dead_letters": dead,
        "writer": vars(ingest.writer.stats),
        "mqtt_messages": source.stats.messages,  # type: ignore[attr-defined]
    }
