"""`jayul bench security`: the audit trail under crashes and forgery, and writes that try to
reach a machine around the gate.

Audit: `audit_crash` SIGKILLs a process making gated proposals (lost records counted); then
a keyed trail is forged the way someone with write access but no key would: one record
changed and every hash after it and the head recomputed (in the database and in an exported
file), MACs stripped, and the whole database rolled back to an earlier consistent state (caught
by a signed checkpoint kept in a file).

Writes: the twin's own setters are watched; a change that happens while the gate's executor
is not running is a write that reached the machine without the gate. Attempts go through the
OPC UA server (anonymous with anonymous writes off; allowed writers with random values: in
range, too big a step, outside the envelope, NaN, unknown maintenance), the API (no login, a
viewer, a forged token, an engineer with random values) and the CLI (declared roles, wrong
passwords, a viewer). The MQTT command topic: `jayul.bench.security.mqtt`.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jayul.gate import Gate
from jayul.govern.audit import AuditLog, verify_database
from jayul.govern.audit_chain import GENESIS, make_record
from jayul.govern.audit_file import verify_trail_file
from jayul.govern.audit_key import head_text
from jayul.govern.audit_proof import read_checkpoints
from jayul.govern.db import Connection, connect
from jayul.twin import Twin

Progress = Callable[[str, int], None]


# -- forgery ------------------------------------------------------------------------------


def _rewrite(con: Connection, seq: int, reason: str, keep_macs: bool) -> None:
    rows = con.execute(
        "SELECT seq, time, actor, kind, subject, reason, payload, mac FROM audit_log "
        f"WHERE seq >= {seq} ORDER BY seq"
    ).fetchall()
    prev = (
        con.execute(f"SELECT hash FROM audit_log WHERE seq = {seq - 1}").fetchall()[0][0]
        if seq > 0
        else GENESIS
    )
    for s, t, actor, kind, subject, why, payload, mac in rows:
        rec = make_record(
            s, t, actor, kind, subject, reason if s == seq else why, json.loads(payload), prev
        )
        con.execute(
            "UPDATE audit_log SET reason = ?, prev = ?, hash = ?, mac = ? WHERE seq = ?",
            [rec.reason, rec.prev, rec.hash, mac if keep_macs else None, s],
        )
        prev = rec.hash
    con.execute("UPDATE audit_head SET hash = ? WHERE id = 0", [prev])


def run_forgery(workdir: Path, n: int = 2000, trials: int = 100, seed: int = 0) -> dict[str, Any]:
    """Every forgery kind `trials` times on an `n`-record keyed trail; detected counts."""
    rng = random.Random(seed)
    db = workdir / "forgery.duckdb"
    anchor = workdir / "forgery.checkpoints"
    con = connect(db)
    log = AuditLog(con, flush_every=500, checkpoint_every=500, anchor=anchor)
    for i in range(n):
        log.append(i, "gate", "action_refused", f"m{i % 7}", f"reason {i}", {"i": i})
    log.checkpoint()
    ring = log.keyring
    assert ring is not None
    cps = read_checkpoints(anchor)
    detected: Counter[str] = Counter()
    total: Counter[str] = Counter()

    def trial(name: str, statements: Callable[[], None], with_checkpoints: bool = False) -> None:
        con.execute("BEGIN TRANSACTION")
        statements()
        report = verify_database(con, ring, cps if with_checkpoints else [])
        con.execute("ROLLBACK")
        total[name] += 1
        detected[name] += not report.ok

    for _ in range(trials):
        seq = rng.randrange(n)

        def keep(s: int = seq) -> None:
            _rewrite(con, s, "forged", True)

        def strip(s: int = seq) -> None:
            _rewrite(con, s, "forged", False)

        trial("rewrite_rehash_keep_macs", keep)
        trial("rewrite_rehash_strip_macs", strip)
        cut = rng.randrange(1, n)

        def rollback(cut: int = cut) -> None:  # a consistent older copy, head MAC and all
            last = con.execute(f"SELECT hash FROM audit_log WHERE seq = {cut - 1}").fetchall()
            con.execute(f"DELETE FROM audit_log WHERE seq >= {cut}")
            con.execute(f"DELETE FROM audit_checkpoints WHERE count > {cut}")
            h = str(last[0][0])
            con.execute(
                "UPDATE audit_head SET count = ?, hash = ?, mac = ? WHERE id = 0",
                [cut, h, ring.sign(head_text(cut, h))],
            )

        trial("rollback_with_checkpoints", rollback, with_checkpoints=True)
    intact = verify_database(con, ring, cps)
    trail = workdir / "forgery.jsonl"
    log.export(trail)
    lines = trail.read_text().splitlines()
    for _ in range(trials):  # the exported file rewritten and rehashed, MACs kept
        seq = rng.randrange(n)
        recs = [json.loads(x) for x in lines[:-1]]
        recs[seq]["reason"] = "forged"
        prev, text = GENESIS, []
        for r in recs:
            rec = make_record(
                r["seq"], r["time"], r["actor"], r["kind"], r["subject"], r["reason"],
                r["payload"], prev, _same_mac(str(r["mac"])),
            )  # fmt: skip
            prev = rec.hash
            text.append(rec.line())
        trailer = json.loads(lines[-1])
        trailer["head"] = prev
        text.append(json.dumps(trailer, sort_keys=True, separators=(",", ":")))
        forged = workdir / "forged.jsonl"
        forged.write_text("\n".join(text) + "\n")
        total["file_rewrite_rehash"] += 1
        detected["file_rewrite_rehash"] += not verify_trail_file(forged, ring).ok
    con.close()
    return {
        "records": n,
        "trials": dict(total),
        "detected": dict(detected),
        "undetected": sum(total.values()) - sum(detected.values()),
        "intact_trail_verifies": intact.proven,
    }


def _same_mac(mac: str) -> Callable[[str], str]:
    """A forger's "signer": keeps the old MAC (the only one they have)."""
    return lambda _text: mac


# -- writes around the gate -----------------------------------------------------------------


class MachineWatch:
    """Wraps a twin's setters and a gate's executor: counts changes made outside the gate."""

    def __init__(self, twin: Twin, gate: Gate) -> None:
        self.inside = False
        self.gated = 0
        self.bypassed = 0
        executor = gate.executor

        def watched_executor(action: Any) -> Any:
            self.inside = True
            try:
                return executor(action)
            finally:
                self.inside = False

        gate.executor = watched_executor
        for name in ("set_setpoint", "request_maintenance"):
            self._wrap(twin, name)

    def _wrap(self, twin: Twin, name: str) -> None:
        original = getattr(twin, name)

        def watched(*args: Any, **kw: Any) -> Any:
            if self.inside:
                self.gated += 1
            else:
                self.bypassed += 1
            return original(*args, **kw)

        setattr(twin, name, watched)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_opcua_writes(n: int, seed: int = 0, progress: Progress | None = None) -> dict[str, Any]:
    """`n` attempted writes and method calls through the OPC UA twin server."""
    from asyncua.client.client import Client
    from asyncua.ua.uaerrors import UaError

    from jayul.connect.bindings import ServerConfig
    from jayul.connect.opcua_common import namespace_uri, node_id
    from jayul.connect.opcua_server import TwinServer, serving_twin
    from jayul.plant import load_demo_plant

    plant = load_demo_plant()
    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    watches: list[MachineWatch] = []

    async def attempts(anonymous_write: bool, count: int) -> None:
        config = ServerConfig(
            port=_free_port(), host="127.0.0.1", allow_anonymous_write=anonymous_write
        )
        server = TwinServer(plant, config, twin=serving_twin(plant, seed))
        assert server.twin is not None
        watch = MachineWatch(server.twin, server.gate)
        watches.append(watch)
        server.gate.rate.max_actions = 10**9
        await server.start()
        try:
            async with Client(server.endpoint) as c:
                ns = await c.get_namespace_index(namespace_uri(plant.name))
                sp = c.get_node(node_id("pump1.setpoint.speed_rpm", ns))
                pump = c.get_node(node_id("pump1", ns))
                for i in range(count):
                    kind = rng.choice(["step", "big_step", "outside", "nan", "maint", "bad"])
                    value = {
                        "step": server.gate.current_value("pump1", "speed_rpm")
                        + rng.uniform(-150, 150),
                        "big_step": rng.choice([900.0, 1800.0]),
                        "outside": rng.choice([-1e9, 5000.0, 1e308]),
                        "nan": float("nan"),
                    }.get(kind)
                    try:
                        if value is not None:
                            await sp.write_value(min(max(value, -1e308), 1e308))
                        else:
                            name = "bearing_service" if kind == "maint" else "launch"
                            await pump.call_method(node_id("pump1.StartMaintenance", ns), name)
                        outcomes[f"{kind}: accepted"] += 1
                    except UaError as exc:
                        outcomes[f"{kind}: {type(exc).__name__}"] += 1
                    if progress and i % 100 == 99:
                        progress("opcua", 100)
        finally:
            await server.stop()

    import logging

    quiet = logging.getLogger("asyncua")
    before = quiet.level
    quiet.setLevel(logging.CRITICAL)  # every refused write would log a service fault
    try:
        asyncio.run(attempts(False, n // 2))
        asyncio.run(attempts(True, n - n // 2))
    finally:
        quiet.setLevel(before)
    return {
        "attempts": n,
        "reached_machine_through_gate": sum(w.gated for w in watches),
        "reached_machine_without_gate": sum(w.bypassed for w in watches),
        "outcomes": dict(sorted(outcomes.items())),
    }
