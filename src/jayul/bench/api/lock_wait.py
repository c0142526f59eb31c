"""How long the console's requests wait while proposals are verified on the twin.

The demo plant is served in this process (a `TestClient` on the app, as the server's tests
do), with the default verifier (8 futures of 7 days). One thread proposes maintenance through
`POST /api/actions` back to back, each verified on forks of the twin; another polls requests
that take the plant's lock (`GET /api/approvals`, `GET /api/alarms`) and times each answer.
The same poll runs first with no proposal going on, for the baseline. Every figure is wall
time on this machine, both threads sharing one Python interpreter (its GIL).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from jayul.autopilot.setup import assemble
from jayul.gate import AutonomyLevel, RateLimiter
from jayul.historian.open import open_historian
from jayul.plant import demo_plant_path, load_plant
from jayul.server import LiveState, create_app
from jayul.server.users import Role
from jayul.twin import Twin

ENGINEER = ("erik", "engineer-pass-1")
READS = ("/api/approvals", "/api/alarms")  # both answer under the plant's lock
# maintenance each machine type offers (the demo plant's catalogue): the verifier tries these
SERVICES = {"pump": "bearing_service", "cnc": "spindle_service", "press": "seal_service"}


def verifying_plant(db: Path, warmup_h: float = 48.0) -> LiveState:
    """The demo plant at L2 with the default verifier, warmed up, not ticking."""
    plant = load_plant(demo_plant_path())
    historian = open_historian(str(db))
    assembly = assemble(
        plant, Twin(plant, seed=0), "condition", historian, str(db), AutonomyLevel.L2
    )
    assert assembly.gate is not None
    # the run proposes many actions per machine: the per-machine limit is not what is measured
    assembly.gate.rate = RateLimiter(max_actions=1_000_000)
    state = LiveState(plant, assembly.pilot, historian, str(db), speed=3600.0, gate=assembly.gate)
    state.warm_up(warmup_h)
    state.users.add(ENGINEER[0], Role.ENGINEER, ENGINEER[1], by="bench")
    return state


def _stats(seconds: list[float]) -> dict[str, Any]:
    ms = np.asarray(seconds) * 1e3
    if not len(ms):
        return {"n": 0}
    return {
        "n": len(ms),
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "max_ms": float(ms.max()),
    }


def _poll(
    client: TestClient, headers: dict[str, str], until: Callable[[], bool], every_s: float
) -> list[float]:
    """Time the lock-taking reads, one after another with `every_s` between, until `until()`."""
    out: list[float] = []
    i = 0
    while not until():
        t0 = time.perf_counter()
        r = client.get(READS[i % len(READS)], headers=headers)
        out.append(time.perf_counter() - t0)
        if r.status_code != 200:
            raise RuntimeError(f"GET {READS[i % len(READS)]}: {r.status_code} {r.text[:200]}")
        i += 1
        time.sleep(every_s)
    return out


def _propose(
    client: TestClient, headers: dict[str, str], machines: list[tuple[str, str]], stop: Any
) -> tuple[list[float], dict[str, int]]:
    """Propose maintenance on one machine after another until `stop` is set."""
    took: list[float] = []
    statuses: dict[str, int] = {}
    i = 0
    while not stop.is_set():
        machine, service = machines[i % len(machines)]
        body = {"machine": machine, "kind": "start_maintenance", "params": {"action": service}}
        t0 = time.perf_counter()
        r = client.post("/api/actions", json=body, headers=headers)
        took.append(time.perf_counter() - t0)
        if r.status_code != 200:
            raise RuntimeError(f"POST /api/actions: {r.status_code} {r.text[:200]}")
        status = str(r.json()["status"])
        statuses[status] = statuses.get(status, 0) + 1
        i += 1
    return took, statuses


def lock_wait(state: LiveState, seconds: float = 20.0, every_s: float = 0.02) -> dict[str, Any]:
    """The reads' latency alone, then while proposals are verified back to back."""
    machines = [(m.id, SERVICES[m.type]) for m in state.plant.machines if m.type in SERVICES]
    with TestClient(create_app(state)) as client:
        r = client.post("/api/login", json={"username": ENGINEER[0], "password": ENGINEER[1]})
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        end = time.monotonic() + seconds
        idle = _poll(client, headers, lambda: time.monotonic() > end, every_s)
        stop = threading.Event()
        result: dict[str, Any] = {}

        def proposer() -> None:
            try:
                result["took"], result["statuses"] = _propose(client, headers, machines, stop)
            except Exception as exc:  # reported below, after the poll ends
                result["error"] = exc

        thread = threading.Thread(target=proposer, name="bench-proposer")
        thread.start()
        end = time.monotonic() + seconds
        try:
            busy = _poll(client, headers, lambda: time.monotonic() > end, every_s)
        finally:
            stop.set()
            thread.join()
        if "error" in result:
            raise RuntimeError(f"proposer: {result['error']}")
    return {
        "seconds_per_phase": seconds,
        "poll_every_s": every_s,
        "reads": list(READS),
        "verifier": {
            "futures": getattr(state.pilot.verifier, "futures", None),
            "horizon_h": getattr(state.pilot.verifier, "horizon_h", None),
        },
        "reads_idle": _stats(idle),
        "reads_while_verifying": _stats(busy),
        "proposals": _stats(result["took"]),
        "proposal_outcomes": result["statuses"],
    }
