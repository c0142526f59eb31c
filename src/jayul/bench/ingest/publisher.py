"""The benchmark's MQTT publisher: a paced stream of batch messages and a log of what the broker
acknowledged, so that losses and duplicates are counted against the publisher's own record.

Each message carries `batch` samples of one machine (rows of all its signals) with distinct
times; the log gets one line per PUBACK: ``machine first_time rows``. Times are the wall clock
at publish, so the store's arrival time minus the sample time is publish-to-stored latency.
Malformed messages (`malformed_every`) are logged separately as ``bad kind``.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

MALFORMED_KINDS = ("bad_json", "wrong_type", "unknown_signal", "out_of_range", "future")
OVERSIZE_EVERY = 100  # one malformed message in 100 is oversize (they are big to send)
OVERSIZE_LIMIT = 128 * 1024  # max_message_bytes of the benchmark's bindings


def malformed_kind(i: int) -> str:
    """The kind of the i-th malformed message."""
    if i % OVERSIZE_EVERY == OVERSIZE_EVERY - 1:
        return "oversize"
    return MALFORMED_KINDS[i % len(MALFORMED_KINDS)]


@dataclass(frozen=True)
class PublishPlan:
    host: str
    port: int
    root: str
    machines: dict[str, dict[str, float]]  # machine -> signal -> a valid value (nominal)
    rate: float  # samples per second
    seconds: float
    batch: int
    log: str
    malformed_every: int = 0  # malformed messages after every N valid ones (0: none)
    malformed_per_valid: int = 1  # how many malformed messages each time
    malformed_total: int = 0
    client_id: str = "jayul-bench-pub"


def malformed_payload(kind: str, machine: str, signal: str, now: int) -> tuple[str, bytes]:
    """(topic suffix, payload) of one malformed message of `kind`."""
    if kind == "bad_json":
        return machine, b'{"samples": [ {"signal": '
    if kind == "wrong_type":
        return f"{machine}/{signal}", json.dumps({"t": now, "v": "high"}).encode()
    if kind == "unknown_signal":
        return f"{machine}/no_such_signal", json.dumps({"t": now, "v": 1.0}).encode()
    if kind == "out_of_range":
        return f"{machine}/{signal}", json.dumps({"t": now, "v": 1e12}).encode()
    if kind == "future":
        return f"{machine}/{signal}", json.dumps({"t": now + 10**13, "v": 1.0}).encode()
    return machine, b" " * (OVERSIZE_LIMIT + 1)  # oversize: the benchmark's limit + 1


def _payload(signals: dict[str, float], t0: int, rows: int) -> bytes:
    samples = [
        {"signal": s, "t": t0 + r, "v": v * (1.0 + 0.001 * (r % 7))}
        for r in range(rows)
        for s, v in signals.items()
    ]
    return json.dumps({"samples": samples}).encode()


def run_publisher(plan: PublishPlan) -> None:
    """Publish for `plan.seconds` at `plan.rate` samples/s; log every acknowledged message."""
    log = Path(plan.log).open("a", buffering=1)  # noqa: SIM115 - closed at the end, shared with the callback
    pending: dict[int, str] = {}
    early: set[int] = set()  # PUBACKs that came back before publish() returned their mid
    lock = threading.Lock()  # never held while calling paho (its thread takes this one)

    def on_publish(_c: Any, _u: Any, mid: int, _rc: Any, _p: Any) -> None:
        with lock:
            line = pending.pop(mid, None)
            if line is None:
                early.add(mid)
            else:
                log.write(line)

    def publish(topic: str, body: bytes, line: str) -> None:
        mid = client.publish(topic, body, qos=1).mid
        with lock:
            if mid in early:
                early.discard(mid)
                log.write(line)
            else:
                pending[mid] = line

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=plan.client_id)
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(1, 4)
    client.on_publish = on_publish
    client.connect_async(plan.host, plan.port)
    client.loop_start()
    names = list(plan.machines)
    start = time.monotonic()
    sent = 0
    bad = 0
    k = 0
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= plan.seconds:
            break
        due = plan.rate * elapsed
        if sent > due:
            time.sleep(min((sent - due) / plan.rate, 0.01))
            continue
        machine = names[k % len(names)]
        signals = plan.machines[machine]
        rows = max(1, plan.batch // len(signals))
        t0 = time.time_ns()
        publish(f"{plan.root}/{machine}", _payload(signals, t0, rows), f"{machine} {t0} {rows}\n")
        sent += rows * len(signals)
        k += 1
        if plan.malformed_every and bad < plan.malformed_total and k % plan.malformed_every == 0:
            for _ in range(min(plan.malformed_per_valid, plan.malformed_total - bad)):
                kind = malformed_kind(bad)
                suffix, body = malformed_payload(kind, machine, next(iter(signals)), t0)
                publish(f"{plan.root}/{suffix}", body, f"bad {kind}\n")
                bad += 1
    deadline = time.monotonic() + 60
    while pending and time.monotonic() < deadline:
        time.sleep(0.05)
    client.disconnect()
    client.loop_stop()
    log.close()
