"""The audit trail's tables in the plant database: `audit_log` (the records), `audit_head` (count,
last hash and its MAC) and `audit_checkpoints`; how records go in, come out and are verified.

`jayul.govern.audit.AuditLog` writes through these; `verify_database` reads a database that no
`AuditLog` has open (`jayul govern audit verify`, the benchmarks).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from jayul.govern.audit_chain import AuditRecord, AuditReport, verify_chain
from jayul.govern.audit_key import AuditKeyring
from jayul.govern.audit_proof import Checkpoint, prove
from jayul.govern.db import Connection

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq BIGINT PRIMARY KEY, time BIGINT NOT NULL, actor VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    subject VARCHAR NOT NULL, reason VARCHAR NOT NULL, payload VARCHAR NOT NULL,
    prev VARCHAR NOT NULL, hash VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY, count BIGINT, hash VARCHAR);
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS mac VARCHAR;
ALTER TABLE audit_head ADD COLUMN IF NOT EXISTS mac VARCHAR;
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    count BIGINT PRIMARY KEY, head VARCHAR NOT NULL, time BIGINT NOT NULL, mac VARCHAR NOT NULL);
"""
_COLUMNS = "seq, time, actor, kind, subject, reason, payload, prev, hash, mac"
_TYPES = {
    "seq": pa.int64(),
    "time": pa.int64(),
    **{n: pa.string() for n in ("actor", "kind", "subject", "reason", "payload", "prev")},
    "hash": pa.string(),
    "mac": pa.string(),
}
_ARROW_FROM = 500  # batches this big go in through arrow


def database_path(con: Connection) -> str | None:
    """The file behind an open connection (None for an in-memory database)."""
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return str(rows[0][0]) if rows and rows[0][0] else None


def _row(r: AuditRecord) -> tuple[Any, ...]:
    return (r.seq, r.time, r.actor, r.kind, r.subject, r.reason, r.payload, r.prev, r.hash, r.mac)


def insert_records(con: Connection, records: list[AuditRecord]) -> None:
    """Insert `records` into `audit_log` (the caller holds the transaction)."""
    rows = [_row(r) for r in records]
    if len(rows) < _ARROW_FROM:
        con.executemany(
            f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        return
    # arrow is much faster for big batches (and the first use is slow)
    columns = zip(_COLUMNS.split(", "), zip(*rows, strict=True), strict=True)
    batch = pa.table({n: pa.array(list(c), type=_TYPES[n]) for n, c in columns})
    con.register("_audit_batch", batch)
    try:
        con.execute(f"INSERT INTO audit_log ({_COLUMNS}) SELECT * FROM _audit_batch")
    finally:
        con.unregister("_audit_batch")


def write_head(con: Connection, count: int, head: str, mac: str | None) -> None:
    """Replace the stored head: how many records, the last one's hash, and its MAC."""
    con.execute(
        "INSERT OR REPLACE INTO audit_head (id, count, hash, mac) VALUES (0, ?, ?, ?)",
        [count, head, mac],
    )


def store_checkpoint(con: Connection, cp: Checkpoint) -> None:
    con.execute(
        "INSERT OR REPLACE INTO audit_checkpoints VALUES (?, ?, ?, ?)",
        [cp.count, cp.head, cp.time, cp.mac],
    )


def read_records(
    con: Connection, since: int = 0, kind: str | None = None, limit: int | None = None
) -> list[AuditRecord]:
    """Stored records from sequence number `since`, optionally of one kind, in order."""
    sql = f"SELECT {_COLUMNS} FROM audit_log WHERE seq >= ?"
    params: list[Any] = [since]
    if kind is not None:
        sql += " AND kind = ?"
        params.append(kind)
    sql += " ORDER BY seq"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [AuditRecord(*row) for row in con.execute(sql, params).fetchall()]


def stored_checkpoints(con: Connection) -> list[Checkpoint]:
    """The checkpoints in the plant database's `audit_checkpoints` table, oldest first."""
    rows = con.execute("SELECT count, head, time, mac FROM audit_checkpoints ORDER BY count")
    return [Checkpoint(int(c), str(h), int(t), str(m)) for c, h, t, m in rows.fetchall()]


def verify_database(
    con: Connection,
    keyring: AuditKeyring | None = None,
    checkpoints: list[Checkpoint] | None = None,
) -> AuditReport:
    """Verify the `audit_log` table of an open plant database against its `audit_head`; with
    the key, also every MAC and the signed checkpoints (stored ones and `checkpoints`)."""
    records = read_records(con)
    head_rows = con.execute("SELECT count, hash, mac FROM audit_head WHERE id = 0").fetchall()
    head = (int(head_rows[0][0]), str(head_rows[0][1])) if head_rows else None
    if head is None and records:
        return AuditReport(
            False,
            len(records),
            records[-1].hash,
            len(records) - 1,
            "changed",
            "the audit head (count and last hash) is missing",
        )
    report = verify_chain([r.link() for r in records], head)
    stored = stored_checkpoints(con)
    signed_head = (head[0], head[1], head_rows[0][2]) if head is not None else None
    return prove(
        report,
        [(r.seq, r.hash, r.mac) for r in records],
        signed_head,
        keyring,
        stored + list(checkpoints or []),
    )
