"""The publisher of `jayul bench faults`: single-sample messages, optionally with fuzz between.

It publishes `valid` messages of one sample each (``{"t", "v"}`` on
``<root>/<machine>/<signal>``, cycling over the plant's signals, each with its own time) at
`rate` messages per second (0: as fast as the broker takes them), and after each of them
`bad_per_valid` bad messages from `FuzzGenerator`. It logs every message the broker
acknowledged: ``v machine signal time`` for a valid one, ``b kind`` for a bad one, so the
store is audited against what the broker took responsibility for.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from jayul.bench.faults.fuzz import FuzzGenerator


@dataclass(frozen=True)
class SamplePlan:
    host: str
    port: int
    root: str
    machines: dict[str, dict[str, float]]  # machine -> signal -> a valid value
    valid: int  # valid messages (one sample each)
    rate: float  # messages per second, valid and bad together (0: unpaced)
    log: str
    bad_per_valid: int = 0
    seed: int = 0
    client_id: str = "jayul-bench-faults-pub"


def run_sample_publisher(plan: SamplePlan) -> None:
    """Publish the plan (module doc) and log what the broker acknowledged."""
    log = Path(plan.log).open("a", buffering=1 << 16)  # noqa: SIM115 - closed at the end
    pending: dict[int, str] = {}
    early: set[int] = set()
    lock = threading.Lock()

    def on_publish(_c: Any, _u: Any, mid: int, _rc: Any, _p: Any) -> None:
        with lock:
            line = pending.pop(mid, None)
            if line is None:
                early.add(mid)
            else:
                log.write(line)

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=plan.client_id)
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(1, 2)
    client.on_publish = on_publish
    client.connect_async(plan.host, plan.port)
    client.loop_start()

    def publish(topic: str, body: bytes, line: str) -> None:
        mid = client.publish(topic, body, qos=1).mid
        with lock:
            if mid in early:
                early.discard(mid)
                log.write(line)
            else:
                pending[mid] = line

    pairs = [(m, s) for m in sorted(plan.machines) for s in sorted(plan.machines[m])]
    fuzz = FuzzGenerator(plan.root, plan.machines, plan.seed)
    base = time.time_ns()
    start = time.monotonic()
    sent = 0
    for i in range(plan.valid):
        if plan.rate > 0:
            due = start + sent / plan.rate
            while (wait := due - time.monotonic()) > 0:
                time.sleep(min(wait, 0.01))
        while len(pending) > 5000:  # unpaced: keep paho's own queue short
            time.sleep(0.005)
        machine, signal = pairs[i % len(pairs)]
        t = base + i * 1000
        value = plan.machines[machine][signal]
        body = b'{"t": %d, "v": %r}' % (t, value)
        publish(f"{plan.root}/{machine}/{signal}", body, f"v {machine} {signal} {t}\n")
        sent += 1
        for _ in range(plan.bad_per_valid):
            fuzz.now_ns = time.time_ns()
            bad = fuzz.bad()
            publish(bad.topic, bad.payload, f"b {bad.kind}\n")
            sent += 1
    deadline = time.monotonic() + 120
    while pending and time.monotonic() < deadline:
        time.sleep(0.05)
    client.disconnect()
    client.loop_stop()
    log.close()


def read_sample_log(path: Path) -> tuple[set[tuple[str, str, int]], dict[str, int]]:
    """Acknowledged valid samples (machine, signal, time) and bad messages per kind."""
    valid: set[tuple[str, str, int]] = set()
    bad: dict[str, int] = {}
    if not path.exists():
        return valid, bad
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "v":
            valid.add((parts[1], parts[2], int(parts[3])))
        elif len(parts) == 2 and parts[0] == "b":
            bad[parts[1]] = bad.get(parts[1], 0) + 1
    return valid, bad
