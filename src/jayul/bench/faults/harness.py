"""`jayul bench faults`: ingestion under bad input and failures, audited against the publisher.

- `run_fuzz`: `jayul run --ingest-only` (a process of its own) against a Mosquitto of the
  benchmark's own with the shipped settings; valid single-sample messages interleaved with
  generated bad ones (`FuzzGenerator`). Afterwards: valid samples lost or duplicated, bad
  samples stored, dead letters against bad messages acknowledged, and whether `jayul run` was
  still running (it must never stop).
- `run_broker_loss`: single-sample messages at a fixed rate through the shipped broker
  settings, while `jayul run` is SIGKILLed and restarted `kills` times and the broker restarted
  `broker_restarts` times: acknowledged samples lost and duplicated.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jayul.bench.faults.publisher import SamplePlan, read_sample_log, run_sample_publisher
from jayul.bench.ingest.faults import Broker, _jayul_run
from jayul.bench.ingest.harness import ensure_session, machine_signals
from jayul.connect.broker_check import shipped_broker_conf
from jayul.historian.open import open_historian
from jayul.plant import demo_plant_path, load_demo_plant

Progress = Callable[[float, str], None]


def _setup(
    historian_url: str, work: Path, settings: str | None = None
) -> tuple[Broker, Path, str, str]:
    broker = Broker(work, shipped_broker_conf() if settings is None else settings)
    broker.start()
    tag = uuid.uuid4().hex[:8]
    root, client_id = f"jayulfaults/{tag}", f"jayul-faults-{tag}"
    plant_file = work / "plant.yaml"
    plant_file.write_text(
        f"plant_file: {demo_plant_path()}\nconnect:\n  buffer: {work / 'buffer'}\n"
        f"  historian: {historian_url}\n"
        f"  sources:\n    - {{kind: mqtt, port: {broker.port}, topic_root: {root}, "
        f"client_id: {client_id}}}\n"
    )
    ensure_session("127.0.0.1", broker.port, client_id, root)
    return broker, plant_file, root, client_id


def _publisher(plan: SamplePlan) -> Any:
    proc = mp.get_context("spawn").Process(target=run_sample_publisher, args=(plan,), daemon=True)
    proc.start()
    return proc


def audit(historian_url: str, log: Path) -> dict[str, Any]:
    """The store against the publisher's log (module doc)."""
    acked, bad = read_sample_log(log)
    stored_rows: list[tuple[str, str, int]] = []
    with open_historian(historian_url) as h:
        for machine in sorted({m for m, _, _ in acked} | set(machine_signals(load_demo_plant()))):
            df = h.query_samples(machine, 0, 2**62)
            stored_rows += [
                (machine, str(s), int(t)) for s, t in zip(df["signal"], df["time"], strict=True)
            ]
        letters = h.dead_letters()
    stored = set(stored_rows)
    return {
        "valid_acked": len(acked),
        "valid_lost": len(acked - stored),
        "duplicates_stored": len(stored_rows) - len(stored),
        "stored_not_acked": len(stored - acked),
        "bad_acked": sum(bad.values()),
        "bad_by_kind": dict(sorted(bad.items())),
        "dead_letters": len(letters),
        "dead_letters_without_reason": sum(1 for d in letters if not d.reason.strip()),
    }


def _wait_stored(historian_url: str, want: int, timeout_s: float, idle_s: float = 30.0) -> float:
    """Wait until `want` samples are stored, or the count stood still for `idle_s` (samples
    lost: waiting longer would not bring them), or `timeout_s`; the seconds waited."""
    started = last_change = time.monotonic()
    last = -1
    while time.monotonic() - started < timeout_s:
        with open_historian(historian_url) as h:
            stored = h.count_samples()
        if stored >= want:
            break
        if stored != last:
            last, last_change = stored, time.monotonic()
        elif time.monotonic() - last_change > idle_s:
            break
        time.sleep(1.0)
    return time.monotonic() - started


def _stop(proc: subprocess.Popen[bytes]) -> int | None:
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        return None


def run_fuzz(
    historian_url: str,
    work: Path,
    bad: int,
    *,
    bad_per_valid: int = 1,
    seed: int = 0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """`bad` generated bad messages, `bad / bad_per_valid` valid ones between them."""
    broker, plant_file, root, _ = _setup(historian_url, work)
    run_log = work / "jayul-run.log"
    ingest = _jayul_run(plant_file, run_log)
    log = work / "publisher.log"
    plan = SamplePlan(
        "127.0.0.1",
        broker.port,
        root,
        machine_signals(load_demo_plant()),
        valid=max(bad // bad_per_valid, 1),
        rate=0,
        log=str(log),
        bad_per_valid=bad_per_valid,
        seed=seed,
        client_id=f"jayul-fuzz-pub-{uuid.uuid4().hex[:6]}",
    )
    started = time.monotonic()
    publisher = _publisher(plan)
    alive_throughout = True
    try:
        while publisher.is_alive():
            time.sleep(0.5)
            alive_throughout &= ingest.poll() is None
            if progress is not None:
                done = sum(1 for _ in log.open()) if log.exists() else 0
                progress(done / (plan.valid * (1 + bad_per_valid)), "publishing")
        publish_s = time.monotonic() - started
        acked, _ = read_sample_log(log)
        catch_up = _wait_stored(historian_url, len(acked), 300)
        alive_throughout &= ingest.poll() is None
    finally:
        code = _stop(ingest)
        publisher.kill()
        broker.stop()
    figures = {
        "bad_generated": bad,
        "valid_sent": plan.valid,
        "seed": seed,
        "publish_s": round(publish_s, 1),
        "messages_per_s": round(plan.valid * (1 + bad_per_valid) / publish_s, 1),
        "catch_up_after_publish_s": round(catch_up, 1),
        "jayul_run_alive_throughout": alive_throughout,
        "jayul_run_exit_code": code,
    }
    figures.update(audit(historian_url, log))
    return figures


def run_broker_loss(
    historian_url: str,
    work: Path,
    *,
    samples: int = 200_000,
    rate: float = 500.0,
    kills: int = 5,
    broker_restarts: int = 1,
    broker_settings: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """`samples` one-sample messages at `rate` msg/s with process kills and broker restarts,
    through the shipped broker settings or `broker_settings` (Mosquitto configuration text)."""
    broker, plant_file, root, _ = _setup(historian_url, work, broker_settings)
    run_log = work / "jayul-run.log"
    ingest = _jayul_run(plant_file, run_log)
    log = work / "publisher.log"
    plan = SamplePlan(
        "127.0.0.1",
        broker.port,
        root,
        machine_signals(load_demo_plant()),
        valid=samples,
        rate=rate,
        log=str(log),
        client_id=f"jayul-loss-pub-{uuid.uuid4().hex[:6]}",
    )
    seconds = samples / rate
    n = kills + broker_restarts
    faults = [
        ((i + 1) / (n + 1) * seconds, "mosquitto restart" if i % 3 == 2 else "SIGKILL jayul run")
        for i in range(n)
    ]
    restarts = sum(1 for _, w in faults if w == "mosquitto restart")
    while restarts < broker_restarts:  # more restarts than every third fault: convert kills
        k = next(i for i, (_, w) in enumerate(faults) if w != "mosquitto restart")
        faults[k] = (faults[k][0], "mosquitto restart")
        restarts += 1
    while restarts > broker_restarts:
        k = next(i for i, (_, w) in enumerate(faults) if w == "mosquitto restart")
        faults[k] = (faults[k][0], "SIGKILL jayul run")
        restarts -= 1
    timeline: list[tuple[float, str]] = []
    started = time.monotonic()
    publisher = _publisher(plan)
    try:
        for at, what in faults:
            while time.monotonic() - started < at and publisher.is_alive():
                time.sleep(0.2)
                if progress is not None:
                    progress((time.monotonic() - started) / seconds, what)
            if what == "mosquitto restart":
                broker.restart()
            else:
                ingest.send_signal(signal.SIGKILL)
                ingest.wait()
                time.sleep(1.0)
                ingest = _jayul_run(plant_file, run_log)
            timeline.append((round(time.monotonic() - started, 1), what))
        while publisher.is_alive():
            time.sleep(0.5)
            if progress is not None:
                progress(min((time.monotonic() - started) / seconds, 1.0), "publishing")
        publish_s = time.monotonic() - started
        acked, _ = read_sample_log(log)
        catch_up = _wait_stored(historian_url, len(acked), 300)
    finally:
        code = _stop(ingest)
        publisher.kill()
        broker.stop()
    figures: dict[str, Any] = {
        "samples_sent": samples,
        "rate_msg_per_s": rate,
        "broker_settings": "shipped" if broker_settings is None else "given",
        "publish_s": round(publish_s, 1),
        "faults": timeline,
        "catch_up_after_publish_s": round(catch_up, 1),
        "jayul_run_exit_code": code,
    }
    figures.update(audit(historian_url, log))
    return figures
