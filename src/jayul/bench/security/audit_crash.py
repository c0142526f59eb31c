"""Audit durability under SIGKILL: a process makes gated proposals, is killed at a random
moment, restarts on the same database, is killed again, ...

The child (`python -m jayul.bench.security.audit_crash DB WORKDIR RUN SEED`) proposes
setpoint changes on the demo plant at L4: valid small steps (executed) and out-of-range values
(refused by the interlock). Its executor stands for the machine: it appends each action id it
receives to `plant.log` (the machine's own memory, which survives the kill). After each proposal
returns, it appends the outcome with the wall time to `acks-RUN.jsonl` (what a client was told).

Lost records, counted after every kill:
- an action the machine received without an `action_dispatched` record (target 0: the record
  must be committed before the action goes out);
- an outcome a client was told (the gate returned it) with no record of it (target 0: the
  gate commits every outcome before it returns it).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jayul.gate import AutonomyLevel, Gate, GateContext, Origins, RateLimiter
from jayul.govern.audit import verify_database
from jayul.govern.audit_key import resolve_keyring
from jayul.govern.db import connect
from jayul.plant.load import load_demo_plant
from jayul.records.events import Action, ActionKind
from jayul.records.timebase import utc_now_ns


def child(db: Path, workdir: Path, run: int, seed: int) -> None:
    """Gated activity until killed."""
    plant = load_demo_plant()
    machine_log = os.open(workdir / "plant.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def executor(action: Action) -> None:
        os.write(machine_log, f"{action.id}\n".encode())

    origins = Origins()
    origins.register("policy:cbm", proposers=frozenset({"autopilot"}))
    gate = Gate(plant, db, executor, origins, rate_limiter=RateLimiter(10**9))
    gate.autonomy.set_level(AutonomyLevel.L4, "bench", utc_now_ns(), f"crash run {run}")
    rng = random.Random(seed * 1000 + run)
    acks = os.open(workdir / f"acks-{run}.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    ctx = GateContext(proposer="autopilot", verdict=True)
    while True:
        cur = gate.current_value("pump1", "speed_rpm")
        valid = rng.random() < 0.5
        value = min(max(cur + rng.uniform(-50, 50), 950.0), 1750.0) if valid else 5000.0
        action = Action(
            time=utc_now_ns(),
            machine="pump1",
            kind=ActionKind.CHANGE_SETPOINT,
            params={"setpoint": "speed_rpm", "value": value, "unit": "rpm"},
            origin="policy:cbm",
        )
        out = gate.propose(action, ctx, utc_now_ns())
        line = json.dumps({"id": action.id, "status": out.status.value, "t": time.time()})
        os.write(acks, (line + "\n").encode())
        if rng.random() < 0.3:
            time.sleep(rng.uniform(0.0, 0.01))


def _recorded(db: Path) -> tuple[set[str], set[tuple[str, str]], int]:
    con = connect(db)
    try:
        rows = con.execute(
            "SELECT kind, payload FROM audit_log WHERE kind LIKE 'action_%'"
        ).fetchall()
        count = int(con.execute("SELECT count(*) FROM audit_log").fetchall()[0][0])
    finally:
        con.close()
    dispatched: set[str] = set()
    outcomes: set[tuple[str, str]] = set()
    for kind, payload in rows:
        action = json.loads(payload).get("action") or {}
        aid = str(action.get("id", ""))
        if kind == "action_dispatched":
            dispatched.add(aid)
        else:
            outcomes.add((aid, kind.removeprefix("action_")))
    return dispatched, outcomes, count


def run_crash_bench(
    workdir: Path,
    kills: int = 20,
    seed: int = 0,
    max_run_s: float = 2.0,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Kill the child `kills` times at random moments; count lost records (see module doc)."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "crash.duckdb"
    rng = random.Random(seed)
    lost_actions = lost_acks = checked_acks = 0
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for run in range(kills):
        acks = workdir / f"acks-{run}.jsonl"
        args = [str(db), str(workdir), str(run), str(seed)]
        proc = subprocess.Popen(
            [sys.executable, "-m", "jayul.bench.security.audit_crash", *args],
            env=env,
            stderr=subprocess.PIPE,
        )
        started = time.monotonic()
        while not acks.exists() or acks.stat().st_size == 0:  # wait until it is busy
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"the crash child exited early: {err[-2000:]}")
            if time.monotonic() - started > 120:
                proc.kill()
                raise RuntimeError("the crash child made no proposal within 120 s")
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, max_run_s))
        killed_at = time.time()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        dispatched, outcomes, _count = _recorded(db)
        received = (workdir / "plant.log").read_text().split()
        lost_actions = sum(1 for aid in received if aid not in dispatched)
        for line in acks.read_text().splitlines():
            try:
                ack = json.loads(line)
            except ValueError:
                continue  # the kill cut the client's own last line
            if ack["t"] < killed_at:
                checked_acks += 1
                lost_acks += (ack["id"], ack["status"]) not in outcomes
        if progress:
            progress(run + 1)
    dispatched, outcomes, count = _recorded(db)
    con = connect(db)
    try:
        report = verify_database(con, resolve_keyring(str(db), create=False))
    finally:
        con.close()
    received = (workdir / "plant.log").read_text().split()
    return {
        "kills": kills,
        "actions_at_the_machine": len(received),
        "actions_without_record": lost_actions,
        "acknowledged_outcomes_checked": checked_acks,
        "acknowledged_outcomes_lost": lost_acks,
        "records": count,
        "trail_intact": report.ok,
        "trail_proven": report.proven,
        "verify": report.summary(),
    }


if __name__ == "__main__":
    child(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
