"""The audit trail in the plant database: append-only, hash-chained, buffered.

Every alert, decision, verdict, approval, action, refusal, deployment and autonomy change is
appended with who or what did it, when and why. Records are buffered and written in batches
(the autopilot may append thousands per simulated day); `flush()` (also called by every read
and by `close()`) writes them and moves the head (`audit_head`: count and last hash), so a
truncated tail is caught too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from jayul.govern.audit_chain import (
    GENESIS,
    AuditRecord,
    AuditReport,
    make_record,
    verify_chain,
)
from jayul.govern.audit_file import write_trail
from jayul.govern.db import Connection, as_connection
from jayul.records.events import Event

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq BIGINT PRIMARY KEY, time BIGINT NOT NULL, actor VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    subject VARCHAR NOT NULL, reason VARCHAR NOT NULL, payload VARCHAR NOT NULL,
    prev VARCHAR NOT NULL, hash VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY, count BIGINT, hash VARCHAR);
"""
_COLUMNS = "seq, time, actor, kind, subject, reason, payload, prev, hash"


class AuditLog:
    """Append-only, hash-chained log in the `audit_log` table of a plant database.

    One writer per database: two `AuditLog` objects appending to the same table would fork
    the chain, and verification would say so.
    """

    def __init__(self, db: str | Path | Connection = ":memory:", flush_every: int = 5000) -> None:
        self.con = as_connection(db)
        self.flush_every = flush_every
        self.con.execute(SCHEMA)
        self._buffer: list[AuditRecord] = []
        row = self.con.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        last = row.fetchall()
        self._next_seq = int(last[0][0]) + 1 if last else 0
        self._last_hash = str(last[0][1]) if last else GENESIS

    @property
    def count(self) -> int:
        """Records appended so far (written or buffered)."""
        return self._next_seq

    @property
    def head(self) -> str:
        """The hash of the last record: publish it to anchor the trail."""
        return self._last_hash

    def append(
        self,
        time: int,
        actor: str,
        kind: str,
        subject: str = "",
        reason: str = "",
        payload: dict[str, Any] | None = None,
    ) -> AuditRecord:
        """Add one record (who or what: `actor`; what about: `subject`; why: `reason`)."""
        rec = make_record(
            self._next_seq, time, actor, kind, subject, reason, payload, self._last_hash
        )
        self._buffer.append(rec)
        self._next_seq += 1
        self._last_hash = rec.hash
        if len(self._buffer) >= self.flush_every:
            self.flush()
        return rec

    def append_event(self, event: Event, actor: str) -> AuditRecord:
        """Record a shared event (alert, decision, verdict, ...) as it is."""
        reason = str(event.payload.get("reason") or event.payload.get("summary") or "")
        return self.append(
            event.time,
            actor,
            event.kind.value,
            event.machine or "",
            reason,
            {"event_id": event.id, **event.payload},
        )

    def flush(self) -> None:
        """Write the buffered records and the new head in one transaction."""
        if not self._buffer:
            return
        cols = list(zip(*[_row(r) for r in self._buffer], strict=True))
        names = _COLUMNS.split(", ")
        table = pa.table({n: list(c) for n, c in zip(names, cols, strict=True)})
        self.con.register("_audit_batch", table)
        try:
            self.con.execute("BEGIN TRANSACTION")
            self.con.execute(f"INSERT INTO audit_log SELECT {_COLUMNS} FROM _audit_batch")
            self.con.execute(
                "INSERT OR REPLACE INTO audit_head VALUES (0, ?, ?)",
                [self._next_seq, self._last_hash],
            )
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise
        finally:
            self.con.unregister("_audit_batch")
        self._buffer.clear()

    def records(
        self, since: int = 0, kind: str | None = None, limit: int | None = None
    ) -> list[AuditRecord]:
        """Stored records from sequence number `since`, optionally of one kind, in order."""
        self.flush()
        sql = f"SELECT {_COLUMNS} FROM audit_log WHERE seq >= ?"
        params: list[Any] = [since]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        sql += " ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [AuditRecord(*row) for row in self.con.execute(sql, params).fetchall()]

    def verify(self) -> AuditReport:
        """Walk the whole stored chain and compare its end with the recorded head."""
        self.flush()
        return verify_database(self.con)

    def export(self, path: Path) -> int:
        """Write the trail as JSON lines plus a trailer; returns the number of records."""
        rows = self.records()
        write_trail(path, rows, len(rows), rows[-1].hash if rows else GENESIS)
        return len(rows)

    def close(self) -> None:
        self.flush()


def _row(r: AuditRecord) -> tuple[int, int, str, str, str, str, str, str, str]:
    return (r.seq, r.time, r.actor, r.kind, r.subject, r.reason, r.payload, r.prev, r.hash)


def verify_database(con: Connection) -> AuditReport:
    """Verify the `audit_log` table of an open plant database against its `audit_head`."""
    rows = con.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq").fetchall()
    records = [AuditRecord(*row).link() for row in rows]
    head_rows = con.execute("SELECT count, hash FROM audit_head WHERE id = 0").fetchall()
    head = (int(head_rows[0][0]), str(head_rows[0][1])) if head_rows else None
    if head is None and records:
        return AuditReport(
            False,
            len(records),
            records[-1][2],
            len(records) - 1,
            "changed",
            "the audit head (count and last hash) is missing",
        )
    return verify_chain(records, head)
