"""The audit benchmark: build a trail of N records, time its verification, then tamper.

Tampering on the exported file: single-byte changes at random offsets (any byte value),
deletion of a random record, swap of two records (adjacent or far apart), a duplicated
record. Tampering in the database (each inside a transaction that is rolled back): one
character of one field of one row changed, a row deleted, the sequence numbers of two rows
swapped. Every trial must be detected.
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jayul.govern.audit import AuditLog, verify_database
from jayul.govern.audit_file import verify_trail_file
from jayul.govern.db import connect
from jayul.records.timebase import NS_PER_S

T0 = 1_767_225_600 * NS_PER_S
_KINDS = (
    "action_executed",
    "action_refused",
    "action_pending",
    "alert",
    "verdict",
    "approval_approved",
    "deployment",
    "autonomy",
)


def fill(log: AuditLog, n: int, rng: random.Random) -> None:
    """Append `n` records shaped like the gate's (a nested payload of ~300 bytes)."""
    for i in range(n):
        kind = _KINDS[i % len(_KINDS)]
        machine = f"pump{rng.randint(1, 4)}"
        log.append(
            T0 + i * 10 * NS_PER_S,
            "gate",
            kind,
            machine,
            f"reason for {kind} #{i}",
            {
                "action": {
                    "id": f"{rng.getrandbits(64):016x}",
                    "kind": "change_setpoint",
                    "params": {
                        "setpoint": "speed_rpm",
                        "value": rng.uniform(900, 1800),
                        "unit": "rpm",
                    },
                    "origin": "policy:cbm",
                },
                "check": "interlock",
                "level": "L3",
                "verdict": True,
                "uncertainty": None,
            },
        )


def _cli_seconds(args: list[str], standalone: bool = False) -> tuple[float, float, int]:
    """Wall and CPU seconds (user + system) of `jayul audit verify ...` (or of `python -m
    jayul.govern.verify_trail`) as a separate process, start-up included. CPU time is the
    steadier figure when other work shares the machine."""
    cmd = [sys.executable, "-c", "from jayul.cli.main import app; app()", "audit", "verify", *args]
    if standalone:
        cmd = [sys.executable, "-m", "jayul.govern.verify_trail", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Result, wall seconds and CPU seconds of this process."""
    w0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - w0, time.process_time() - c0


def run_audit_bench(
    workdir: Path,
    n: int = 100_000,
    trials: int = 25,
    seed: int = 0,
    progress: Callable[[str, int], None] | None = None,
    with_cli: bool = True,
) -> dict[str, Any]:
    """Figures for a trail of `n` records; `trials` tampering trials of each kind."""
    rng = random.Random(seed)
    db = workdir / "audit_bench.duckdb"
    trail = workdir / "audit_bench.jsonl"
    con = connect(db)
    log = AuditLog(con, flush_every=10_000)
    t0 = time.perf_counter()
    fill(log, n, rng)
    log.flush()
    append_s = time.perf_counter() - t0
    db_report, verify_db_s, verify_db_cpu_s = _timed(lambda: verify_database(con))
    log.export(trail)
    file_report, verify_file_s, verify_file_cpu_s = _timed(lambda: verify_trail_file(trail))
    figures: dict[str, Any] = {
        "records": n,
        "seed": seed,
        "append_s": append_s,
        "append_per_s": n / append_s if append_s else None,
        "verify_db_s": verify_db_s,
        "verify_db_cpu_s": verify_db_cpu_s,
        "verify_db_ok": db_report.ok,
        "verify_file_s": verify_file_s,
        "verify_file_cpu_s": verify_file_cpu_s,
        "verify_file_ok": file_report.ok,
        "trail_bytes": trail.stat().st_size,
    }
    detected, kinds = Counter[str](), Counter[str]()
    total = Counter[str]()
    data = trail.read_bytes()
    tampered = workdir / "tampered.jsonl"
    for name, make in _file_tamperings(data, rng).items():
        for _ in range(trials):
            tampered.write_bytes(make())
            report = verify_trail_file(tampered)
            total[f"file_{name}"] += 1
            detected[f"file_{name}"] += not report.ok
            kinds[f"file_{name}->{report.kind}"] += 1
            if progress:
                progress(f"file_{name}", 1)
    for name, sql in _db_tamperings(n, rng).items():
        for _ in range(trials):
            con.execute("BEGIN TRANSACTION")
            for stmt in sql():
                con.execute(stmt)
            report = verify_database(con)
            con.execute("ROLLBACK")
            total[f"db_{name}"] += 1
            detected[f"db_{name}"] += not report.ok
            kinds[f"db_{name}->{report.kind}"] += 1
            if progress:
                progress(f"db_{name}", 1)
    figures["intact_after_trials"] = verify_database(con).ok
    con.close()
    figures["trials"] = dict(total)
    figures["detected"] = dict(detected)
    figures["undetected_total"] = sum(total.values()) - sum(detected.values())
    figures["reported_kinds"] = dict(sorted(kinds.items()))
    if with_cli:
        runs = {
            "cli_verify_db": _cli_seconds(["--db", str(db)]),
            "cli_verify_file": _cli_seconds(["--file", str(trail)]),
            "standalone_verify_file": _cli_seconds([str(trail)], standalone=True),
        }
        for name, (wall, cpu, rc) in runs.items():
            figures.update({f"{name}_s": wall, f"{name}_cpu_s": cpu, f"{name}_rc": rc})
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import jayul.cli.main"], check=False)
        figures["cli_import_only_s"] = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        figures["cli_import_only_cpu_s"] = (
            after.ru_utime - before.ru_utime + (after.ru_stime - before.ru_stime)
        )
    return figures


def _file_tamperings(data: bytes, rng: random.Random) -> dict[str, Callable[[], bytes]]:
    records = data.count(b"\n") - 1  # the last line is the trailer

    def lines() -> list[bytes]:
        return data.split(b"\n")[:-1]

    def byte_change() -> bytes:
        pos = rng.randrange(len(data))
        new = (data[pos] + rng.randrange(1, 256)) % 256
        return data[:pos] + bytes([new]) + data[pos + 1 :]

    def delete() -> bytes:
        ls = lines()
        del ls[rng.randrange(records)]
        return b"\n".join(ls) + b"\n"

    def swap() -> bytes:
        ls = lines()
        i = rng.randrange(records - 1)
        j = i + 1 if rng.random() < 0.5 else rng.randrange(records)
        j = j if j != i else (i + 1)
        ls[i], ls[j] = ls[j], ls[i]
        return b"\n".join(ls) + b"\n"

    def duplicate() -> bytes:
        ls = lines()
        i = rng.randrange(records)
        ls.insert(rng.randrange(records), ls[i])
        return b"\n".join(ls) + b"\n"

    return {"byte_change": byte_change, "delete": delete, "swap": swap, "duplicate": duplicate}


def _db_tamperings(n: int, rng: random.Random) -> dict[str, Callable[[], list[str]]]:
    def char_change() -> list[str]:
        seq = rng.randrange(n)
        col = rng.choice(["actor", "kind", "subject", "reason", "payload", "prev", "hash"])
        pos = rng.randint(1, 8)
        return [
            f"UPDATE audit_log SET {col} = overlay({col} PLACING "
            f"CASE WHEN substr({col}, {pos}, 1) = 'x' THEN 'y' ELSE 'x' END "
            f"FROM {pos} FOR 1) WHERE seq = {seq}"
        ]

    def number_change() -> list[str]:
        seq = rng.randrange(n)
        return [f"UPDATE audit_log SET time = time + 1 WHERE seq = {seq}"]

    def delete() -> list[str]:
        return [f"DELETE FROM audit_log WHERE seq = {rng.randrange(n)}"]

    def swap() -> list[str]:
        i = rng.randrange(n - 1)
        j = i + 1 if rng.random() < 0.5 else rng.randrange(n)
        j = j if j != i else i + 1
        return [
            f"UPDATE audit_log SET seq = CASE seq WHEN {i} THEN {j} ELSE {i} END "
            f"WHERE seq IN ({i}, {j})"
        ]

    return {
        "char_change": char_change,
        "number_change": number_change,
        "delete": delete,
        "swap_seq": swap,
    }
