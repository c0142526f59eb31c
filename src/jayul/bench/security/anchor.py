"""Checkpoints anchored to a syslog collector over TCP while the collector goes down and up
and the writing process restarts: how many checkpoints never reach it.

A keyed trail on a plant database file, a checkpoint every `every` records, anchored to
`syslog://127.0.0.1:PORT`. The collector (a TCP listener here: reads octet-counted frames to
the end of each connection, then closes, as rsyslog's imtcp does) is stopped for `outages`
random stretches of appends; the audit log is closed and reopened (a new process, as far as
the trail and its backlog file are concerned) after every other outage. At the end every
checkpoint stored in the plant database must be in the collector's log.
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jayul.bench.security.syslog_collector import TcpSyslogCollector
from jayul.govern.audit import AuditLog, stored_checkpoints
from jayul.govern.audit_proof import read_checkpoints
from jayul.govern.db import Connection, connect


def run_anchor_outages(
    outages: int, seed: int = 0, every: int = 10, records_per_stretch: int = 60
) -> dict[str, Any]:
    """`outages` collector outages (and a restart of the writer after every other one)."""
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="jayul-anchor-"))
    db, log_file = work / "plant.duckdb", work / "collector.log"
    collector = TcpSyslogCollector(log_file)
    port = collector.port
    anchor = f"syslog://127.0.0.1:{port}"
    con = connect(db)

    def open_log() -> AuditLog:
        # retry soon after a failure (default 30 s), so the run sees many retries
        return AuditLog(
            con, flush_every=5, checkpoint_every=every, anchor=anchor, anchor_retry_s=0.2
        )

    quiet = logging.getLogger("jayul.govern.audit")
    before = quiet.level
    quiet.setLevel(logging.CRITICAL)  # each failed send while the collector is down logs
    try:
        return _run(rng, con, log_file, collector, port, open_log, every, records_per_stretch,
                    outages)  # fmt: skip
    finally:
        quiet.setLevel(before)


def _run(
    rng: random.Random,
    con: Connection,
    log_file: Path,
    collector: TcpSyslogCollector,
    port: int,
    open_log: Callable[[], AuditLog],
    every: int,
    records_per_stretch: int,
    outages: int,
) -> dict[str, Any]:
    audit = open_log()
    seq, failures, restarts, most_waiting = 0, 0, 0, 0

    def stretch(n: int) -> None:
        nonlocal seq, failures, most_waiting
        for _ in range(n):
            audit.append(seq, "gate", "action_refused", f"m{seq % 5}", f"r{seq}", {"i": seq})
            seq += 1
            failures += audit.anchor_error is not None
            most_waiting = max(most_waiting, len(audit.unanchored))
            if rng.random() < 0.05:
                time.sleep(0.05)  # let the retry delay pass now and then

    for k in range(outages):
        stretch(rng.randrange(records_per_stretch // 2, records_per_stretch))
        collector.stop()  # down
        stretch(rng.randrange(records_per_stretch // 2, records_per_stretch))
        if k % 2 == 1:  # the writer restarts while the collector is down
            audit.close()
            audit = open_log()
            restarts += 1
        collector = TcpSyslogCollector(log_file, port=port)  # up again
    time.sleep(0.3)
    stretch(every)  # one more checkpoint after the last outage sends what waits
    waiting = len(audit.unanchored)
    audit.close()
    collector.stop()
    stored = {cp.count for cp in stored_checkpoints(con)}
    con.close()
    anchored = {cp.count for cp in read_checkpoints(log_file)} if log_file.exists() else set()
    return {
        "records": seq,
        "outages": outages,
        "writer_restarts": restarts,
        "checkpoints_stored": len(stored),
        "checkpoints_anchored": len(anchored & stored),
        "checkpoints_lost": len(stored - anchored),
        "still_waiting_at_end": waiting,
        "appends_while_anchor_failing": failures,
        "most_checkpoints_waiting": most_waiting,
    }
