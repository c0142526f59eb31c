"""MQTT through real Mosquitto into real stores: counted against the publisher's own log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from jayul.bench.ingest.harness import (
    audit_store,
    bench_bindings,
    ensure_session,
    machine_signals,
    read_publisher_log,
)
from jayul.bench.ingest.publisher import OVERSIZE_LIMIT, PublishPlan, run_publisher
from jayul.connect.ingest import Ingest
from jayul.historian import open_historian
from jayul.plant import Plant, demo_plant_path


def plan_for(plant: Plant, port: int, root: str, log: Path, **kw: object) -> PublishPlan:
    args: dict[str, object] = {"rate": 3000.0, "seconds": 2.0, "batch": 300}
    args.update(kw)
    return PublishPlan(
        "127.0.0.1",
        port,
        root,
        machine_signals(plant),
        log=str(log),
        client_id=f"pub-{uuid.uuid4().hex[:8]}",
        **args,  # type: ignore[arg-type]
    )


def wait_for(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_stream_with_malformed_messages_into_each_store(
    plant: Plant, broker: int, store_url: str, tmp_path: Path, tag: str
) -> None:
    root = f"test/{tag}"
    b = bench_bindings(plant, "127.0.0.1", broker, root, f"t-{tag}", OVERSIZE_LIMIT)
    log = tmp_path / "pub.log"
    with Ingest(b, historian=store_url, buffer=tmp_path / "buf") as ingest:
        assert ingest.sources[0].connected.wait(10)  # type: ignore[attr-defined]
        run_publisher(
            plan_for(
                plant,
                broker,
                root,
                log,
                malformed_every=2,
                malformed_per_valid=2,
                malformed_total=20,
            )
        )
        _, bad = read_publisher_log(log)
        assert wait_for(lambda: ingest.intake.stats.dead_letters >= sum(bad.values()), 10)
    audit = audit_store(store_url, log, plant)
    assert audit["acked"] > 5000
    assert (audit["lost"], audit["duplicates"], audit["extra"]) == (0, 0, 0)
    with open_historian(store_url) as h:
        letters = h.dead_letters()
    assert len(letters) == sum(bad.values()) == 20
    assert all(d.source.startswith(f"mqtt:{root}/") and d.raw for d in letters)


def test_broker_restarts_lose_nothing(
    plant: Plant, own_broker: object, tmp_path: Path, tag: str
) -> None:
    """A restart while streaming, then messages queued for jayul while it is away survive a
    second restart of the broker (its persistence), and arrive when jayul is back."""
    port = own_broker.port  # type: ignore[attr-defined]
    root = f"test/{tag}"
    url = f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    b = bench_bindings(plant, "127.0.0.1", port, root, f"t-{tag}", OVERSIZE_LIMIT)
    log = tmp_path / "pub.log"
    with Ingest(b, historian=url, buffer=tmp_path / "buf") as ingest:
        assert ingest.sources[0].connected.wait(10)  # type: ignore[attr-defined]
        pub = threading.Thread(
            target=run_publisher, args=(plan_for(plant, port, root, log, seconds=3.0),)
        )
        pub.start()
        time.sleep(1.5)
        own_broker.restart()  # type: ignore[attr-defined]
        pub.join()
        acked = audit_store_count(log, plant)
        assert wait_for(lambda: ingest.intake.stats.samples >= acked, 20)
    assert ingest.sources[0].stats.connects >= 2  # type: ignore[attr-defined]
    run_publisher(plan_for(plant, port, root, log, seconds=1.0))  # jayul is away
    own_broker.restart()  # type: ignore[attr-defined]
    acked = audit_store_count(log, plant)
    with Ingest(b, historian=url, buffer=tmp_path / "buf") as ingest:
        assert wait_for(lambda: ingest.intake.stats.samples >= 3000, 20)
        time.sleep(0.5)
    audit = audit_store(url, log, plant)
    assert (audit["lost"], audit["duplicates"]) == (0, 0)
    assert audit["acked"] == acked > 5000


def audit_store_count(log: Path, plant: Plant) -> int:
    valid, _ = read_publisher_log(log)
    sigs = machine_signals(plant)
    return sum(rows * len(sigs[m]) for m, msgs in valid.items() for _, rows in msgs)


def test_sigkill_of_the_ingesting_process_loses_nothing(
    plant: Plant, broker: int, pg_url: str, tmp_path: Path, tag: str
) -> None:
    root = f"test/{tag}"
    client_id = f"run-{tag}"
    plant_file = tmp_path / "plant.yaml"
    plant_file.write_text(
        f"plant_file: {demo_plant_path()}\nconnect:\n  buffer: {tmp_path / 'buf'}\n"
        f"  historian: {pg_url}\n  sources:\n"
        f"    - {{kind: mqtt, port: {broker}, topic_root: {root}, client_id: {client_id}}}\n"
    )
    # the session exists before jayul first runs (as in a deployment): the broker keeps
    # everything published for it while the process is down
    ensure_session("127.0.0.1", broker, client_id, root)
    jayul = [sys.executable, "-c", "from jayul.cli.main import app; app()"]
    cmd = [*jayul, "run", "--plant", str(plant_file), "--fit-h", "1000"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "pub.log"
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    pub = threading.Thread(
        target=run_publisher, args=(plan_for(plant, broker, root, log, seconds=5.0),)
    )
    pub.start()
    time.sleep(2.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    pub.join()
    acked = audit_store_count(log, plant)

    def stored() -> int:
        with open_historian(pg_url) as h:
            return h.count_samples()

    assert wait_for(lambda: stored() >= acked, 30), (stored(), acked)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()[-2000:]
    audit = audit_store(pg_url, log, plant)
    assert (audit["lost"], audit["duplicates"]) == (0, 0)
    assert audit["acked"] == acked > 5000
