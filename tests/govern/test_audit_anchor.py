"""Checkpoints anchored outside the plant database catch a rewrite even when the forger holds
the key and rewrites the checkpoints kept beside the trail (its table and a local file): a
second database (PostgreSQL) and a syslog collector (over UDP), each a real service."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from jayul.cli.govern_cmds import govern_app
from jayul.govern.audit import AuditLog, verify_database
from jayul.govern.audit_anchor import open_anchor
from jayul.govern.audit_chain import GENESIS, make_record
from jayul.govern.audit_key import KEY_ENV, KEY_FILE_ENV, AuditKeyring, head_text
from jayul.govern.audit_proof import (
    Checkpoint,
    append_checkpoint,
    make_checkpoint,
    read_checkpoints,
)
from jayul.govern.db import Connection, connect

PG = os.environ.get("JAYUL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (KEY_ENV, KEY_FILE_ENV, "JAYUL_AUDIT_ANCHOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def trail() -> Iterator[str]:
    """A trail name of its own in the anchor database, removed afterwards."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(PG, autocommit=True) as con:
        con.execute("DELETE FROM jayul_audit_anchors WHERE trail = %s", [name])


def fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append(1000 * i, "gate", "action_refused", f"m{i % 3}", f"reason {i}", {"i": i})
    log.flush()


def forge_with_the_key(con: Connection, ring: AuditKeyring, seq: int, local: Path) -> None:
    """The worst case on the plant's machine: the forger holds the key. One record changed,
    the chain after it recomputed and re-MACed, the head re-signed, and every checkpoint kept
    locally (the table, a local anchor file) signed again for the new hashes."""
    rows = con.execute(
        "SELECT seq, time, actor, kind, subject, reason, payload FROM audit_log ORDER BY seq"
    ).fetchall()
    prev, hashes = GENESIS, []
    for s, t, actor, kind, subject, why, payload in rows:
        why = "nothing happened here" if s == seq else why
        rec = make_record(s, t, actor, kind, subject, why, json.loads(payload), prev, ring.sign)
        con.execute(
            "UPDATE audit_log SET reason = ?, prev = ?, hash = ?, mac = ? WHERE seq = ?",
            [rec.reason, rec.prev, rec.hash, rec.mac, s],
        )
        prev = rec.hash
        hashes.append(rec.hash)
    head_mac = ring.sign(head_text(len(rows), prev))
    con.execute("UPDATE audit_head SET count = ?, hash = ?, mac = ?", [len(rows), prev, head_mac])
    counts = [int(c) for (c,) in con.execute("SELECT count FROM audit_checkpoints").fetchall()]
    con.execute("DELETE FROM audit_checkpoints")
    local.write_text("")
    for c in sorted(counts):
        cp = make_checkpoint(c, hashes[c - 1], time.time_ns(), ring)
        con.execute("INSERT INTO audit_checkpoints VALUES (?, ?, ?, ?)",
                    [cp.count, cp.head, cp.time, cp.mac])  # fmt: skip
        append_checkpoint(local, cp)


def _trail(tmp_path: Path, anchor: str) -> tuple[Connection, AuditLog, Path]:
    db = tmp_path / "plant.duckdb"
    con = connect(db)
    log = AuditLog(con, flush_every=5, checkpoint_every=10, anchor=anchor)
    return con, log, db


def test_a_second_database_catches_a_rewrite_made_with_the_key(tmp_path: Path, trail: str) -> None:
    url = f"{PG}?trail={trail}"
    con, log, db = _trail(tmp_path, url)
    local = tmp_path / "local-anchor.jsonl"
    fill(log, 35)  # checkpoints at 10, 20 and 30 records, in the table and in PostgreSQL
    for cp in read_checkpoints_from_table(con):
        append_checkpoint(local, cp)
    assert log.anchor_error is None
    ring = log.keyring
    assert ring is not None
    anchored = open_anchor(url, str(db)).read()
    assert [c.count for c in anchored] == [10, 20, 30]
    forge_with_the_key(con, ring, 12, local)
    # everything kept on the plant's machine now agrees with the forgery
    assert verify_database(con, ring, read_checkpoints(local)).proven
    caught = verify_database(con, ring, anchored)
    assert not caught.ok and caught.kind == "changed" and caught.first_broken == 19
    con.close()
    out = CliRunner().invoke(govern_app, ["audit", "verify", "--db", str(db), "--anchor", url])
    assert out.exit_code == 1, out.output
    assert "rewritten" in out.output


def read_checkpoints_from_table(con: Connection) -> list[Checkpoint]:
    rows = con.execute("SELECT count, head, time, mac FROM audit_checkpoints ORDER BY count")
    return [Checkpoint(int(c), str(h), int(t), str(m)) for c, h, t, m in rows.fetchall()]


class Collector:
    """A syslog collector writing what it gets to a log file, after other traffic: over UDP,
    or on a local datagram socket as /dev/log is."""

    def __init__(self, log: Path, unix: bool) -> None:
        if unix:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            path = log.parent / "log.sock"
            self.sock.bind(str(path))
            self.anchor = f"syslog://{path}"
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(("127.0.0.1", 0))
            self.anchor = f"syslog+udp://127.0.0.1:{self.sock.getsockname()[1]}"
        self.sock.settimeout(0.2)
        self.log, self.got = log, 0
        log.write_text("Dec  5 04:00:00 plant sshd[311]: Accepted publickey for ops {x}\n")
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            with self.log.open("a") as f:  # as a collector writes it: date, host, message
                f.write(f"Dec  5 04:01:00 plant {data.decode().split('>', 1)[1]}\n")
            self.got += 1

    def stop(self) -> None:
        self._stop.set()
        self.thread.join()
        self.sock.close()


@pytest.mark.parametrize("unix", [False, True], ids=["udp", "local-socket"])
def test_a_syslog_collector_catches_a_rewrite_made_with_the_key(tmp_path: Path, unix: bool) -> None:
    collector = Collector(tmp_path / "auth.log", unix)
    try:
        con, log, _ = _trail(tmp_path, collector.anchor)
        fill(log, 25)  # checkpoints at 10 and 20
        end = time.monotonic() + 10
        while collector.got < 2 and time.monotonic() < end:
            time.sleep(0.05)
    finally:
        collector.stop()
    assert "jayul-audit: {" in collector.log.read_text()
    from_syslog = read_checkpoints(collector.log)  # the sshd line is skipped
    assert [c.count for c in from_syslog] == [10, 20]
    ring = log.keyring
    assert ring is not None
    forge_with_the_key(con, ring, 3, tmp_path / "local.jsonl")
    assert verify_database(con, ring).proven  # locally, all agrees
    caught = verify_database(con, ring, from_syslog)
    assert not caught.ok and caught.first_broken == 9
    con.close()


def test_an_unreachable_anchor_never_stops_the_trail(
    tmp_path: Path, trail: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = "postgresql://postgres@127.0.0.1:1/test"
    con, log, db = _trail(tmp_path, dead)
    fill(log, 25)
    assert log._anchor_retry_at > time.monotonic()  # not tried again at every write
    rec = log.append(9, "gate", "action_dispatched", "m1", "durable", durable=True)
    assert rec.seq == 25 and log.verify().proven
    assert log.anchor_error is not None and "127.0.0.1" in log.anchor_error
    log.anchor = open_anchor(f"{PG}?trail={trail}", str(db))  # the anchor is back,
    log._anchor_retry_at = 0.0  # and the retry delay over
    log.append(10, "gate", "action_dispatched", "m1", "durable", durable=True)
    assert log.anchor_error is None
    assert [c.count for c in log.anchor.read()] == [10, 20]  # the waiting ones, in order
    con.close()
    monkeypatch.setenv("JAYUL_AUDIT_ANCHOR", dead)  # a checkpoint on demand says it failed
    out = CliRunner().invoke(
        govern_app, ["audit", "checkpoint", "--out", str(tmp_path / "cp.jsonl"), "--db", str(db)]
    )
    assert out.exit_code != 0 and "did not reach the audit anchor" in out.output, out.output
    assert len(read_checkpoints(tmp_path / "cp.jsonl")) == 1  # the file got it all the same
