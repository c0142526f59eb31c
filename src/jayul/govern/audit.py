"""The audit trail in the plant database: append-only, hash-chained, keyed, durable.

Every alert, decision, verdict, approval, action, refusal, deployment and autonomy change is
appended with who or what did it, when and why. Each record is MACed with the audit key
(`jayul.govern.audit_key`, kept outside the database), and so is the head (`audit_head`:
count, last hash, MAC), so a record rewritten and rehashed, or a cut tail, is caught. Every
`checkpoint_every` records a signed checkpoint goes to `audit_checkpoints` and, when an anchor
is set (`anchor=` or `JAYUL_AUDIT_ANCHOR`: a file, syslog or a second database, see
`jayul.govern.audit_anchor`), there as well. An anchor that cannot be reached never stops the
trail: the checkpoint waits in a backlog file and is sent again later, at a flush or the next
start (`jayul.govern.audit_backlog`; `anchor_error` says why, `unanchored` what waits).

Durability. A record appended with `durable=True` is committed before `append` returns (the
gate does this before it lets an action reach the plant). Other records are committed in
batches: when `flush_every` are waiting, at every read, at `close()`, and by a background
flusher at most `max_delay_s` (default 0.5 s) after they were appended. So a crash loses at
most the last `max_delay_s` of records that no action depended on.
"""

from __future__ import annotations

import logging
import os
import threading
import time as wall
import weakref
from pathlib import Path
from typing import Any

from jayul.govern.audit_anchor import Anchor, FileAnchor, open_anchor
from jayul.govern.audit_backlog import AnchorBacklog, backlog_path
from jayul.govern.audit_chain import GENESIS, AuditRecord, AuditReport, make_record
from jayul.govern.audit_file import write_trail
from jayul.govern.audit_key import AuditKeyring, head_text, resolve_keyring
from jayul.govern.audit_proof import Checkpoint, append_checkpoint, make_checkpoint
from jayul.govern.audit_table import (
    SCHEMA,
    database_path,
    insert_records,
    read_records,
    store_checkpoint,
    stored_checkpoints,
    verify_database,
    write_head,
)
from jayul.govern.db import Connection, as_connection
from jayul.records.events import Event

log = logging.getLogger(__name__)

# the table functions callers have long imported from here
__all__ = [
    "ANCHOR_ENV",
    "AUTO",
    "AuditLog",
    "database_path",
    "stored_checkpoints",
    "verify_database",
]

ANCHOR_ENV = "JAYUL_AUDIT_ANCHOR"
AUTO = "auto"


class AuditLog:
    """Append-only, hash-chained, keyed log in the `audit_log` table of a plant database.

    One writer per database: two `AuditLog` objects appending to the same table would fork
    the chain, and verification would say so. `keyring` "auto" finds or creates the key as
    `jayul.govern.audit_key.resolve_keyring` says; None writes unkeyed records (only for
    tests of old trails).
    """

    def __init__(
        self,
        db: str | Path | Connection = ":memory:",
        flush_every: int = 5000,
        keyring: AuditKeyring | str | None = AUTO,
        max_delay_s: float | None = 0.5,
        checkpoint_every: int = 1000,
        anchor: Path | str | None = None,
        anchor_retry_s: float = 30.0,
    ) -> None:
        self.con = as_connection(db)
        # Writes go through a cursor of their own, so the background flusher never uses a
        # connection another thread is using.
        self._wcon = self.con.cursor()
        self.flush_every = flush_every
        self.max_delay_s = max_delay_s
        self.checkpoint_every = checkpoint_every
        self._wcon.execute(SCHEMA)
        path = database_path(self.con)
        if isinstance(keyring, str) and keyring != AUTO:
            raise ValueError(f"keyring: expected an AuditKeyring, None or {AUTO!r}")
        self.keyring: AuditKeyring | None = (
            resolve_keyring(path) if isinstance(keyring, str) else keyring
        )
        env_anchor = os.environ.get(ANCHOR_ENV)
        spec = anchor if anchor is not None else (env_anchor if env_anchor and path else None)
        self.anchor: Anchor | None = open_anchor(str(spec), path) if spec is not None else None
        self.anchor_error: str | None = None
        # after a failure, so that a dead anchor does not slow each write
        self.anchor_retry_s = anchor_retry_s
        self._anchor_retry_at = 0.0
        self._lock = threading.RLock()
        self._buffer: list[AuditRecord] = []
        self._oldest = 0.0  # wall time of the oldest buffered record
        self.flush_error: str | None = None
        row = self._wcon.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        last = row.fetchall()
        self._next_seq = int(last[0][0]) + 1 if last else 0
        self._last_hash = str(last[0][1]) if last else GENESIS
        self._checkpointed = self._next_seq
        self._backlog: AnchorBacklog | None = None
        if self.anchor is not None:
            self._backlog = AnchorBacklog(backlog_path(path), str(self.anchor))
            self._backlog.catch_up(stored_checkpoints(self._wcon))
            self._send_anchors()  # what an earlier process could not send

    @property
    def unanchored(self) -> list[Checkpoint]:
        """Checkpoints made but not yet confirmed by the anchor, oldest first."""
        return list(self._backlog.pending) if self._backlog is not None else []

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
        durable: bool = False,
    ) -> AuditRecord:
        """Add one record (who or what: `actor`; what about: `subject`; why: `reason`).
        With `durable`, it is committed before this returns."""
        sign = self.keyring.sign if self.keyring is not None else None
        with self._lock:
            rec = make_record(
                self._next_seq, time, actor, kind, subject, reason, payload, self._last_hash, sign
            )
            if not self._buffer:
                self._oldest = wall.monotonic()
            self._buffer.append(rec)
            self._next_seq += 1
            self._last_hash = rec.hash
            if durable or len(self._buffer) >= self.flush_every:
                self.flush()
            elif self.max_delay_s is not None:
                _FLUSHER.watch(self)
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
        """Write the buffered records, the new head and any checkpoint in one transaction."""
        with self._lock:
            if not self._buffer:
                return
            cp = self._due_checkpoint()
            con = self._wcon
            con.execute("BEGIN TRANSACTION")
            try:
                insert_records(con, self._buffer)
                self._write_head(con)
                if cp is not None:
                    store_checkpoint(con, cp)
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            self._buffer.clear()
            if cp is not None:
                self._checkpointed = cp.count
                if self._backlog is not None:
                    self._backlog.add(cp)
            self._send_anchors()

    def _send_anchors(self) -> None:
        """Send the checkpoints not anchored yet, oldest first; keep them if it fails."""
        backlog = self._backlog
        if backlog is None or wall.monotonic() < self._anchor_retry_at:
            return
        while self.anchor is not None and backlog.pending:
            try:
                self.anchor.put(backlog.pending[0])
            except Exception as exc:  # the anchor's own failure must not stop the trail
                self.anchor_error = f"{self.anchor}: {type(exc).__name__}: {exc}"
                self._anchor_retry_at = wall.monotonic() + self.anchor_retry_s
                log.error("audit anchor: %s", self.anchor_error)
                return
            backlog.confirmed()
            self.anchor_error = None

    def _write_head(self, con: Connection) -> None:
        mac = None
        if self.keyring is not None:
            mac = self.keyring.sign(head_text(self._next_seq, self._last_hash))
        write_head(con, self._next_seq, self._last_hash, mac)

    def _due_checkpoint(self) -> Checkpoint | None:
        every = self.checkpoint_every
        if self.keyring is None or every <= 0:
            return None
        if self._next_seq // every <= self._checkpointed // every:
            return None
        return make_checkpoint(self._next_seq, self._last_hash, _wall_ns(), self.keyring)

    def checkpoint(self, out: Path | None = None) -> Checkpoint:
        """Make a signed checkpoint of the trail now (stored, and appended to `out`)."""
        if self.keyring is None:
            raise ValueError("an unkeyed audit log cannot sign checkpoints")
        with self._lock:
            self.flush()
            cp = make_checkpoint(self._next_seq, self._last_hash, _wall_ns(), self.keyring)
            store_checkpoint(self._wcon, cp)
            self._checkpointed = cp.count
            a = self.anchor
            to_anchor = isinstance(a, FileAnchor) and out is not None and a.path == out
            if out is not None and not to_anchor:  # not twice in the same file
                append_checkpoint(out, cp)
            if self._backlog is not None:
                self._backlog.add(cp)
            self._send_anchors()
        return cp

    def flush_if_older(self, max_delay_s: float) -> bool:
        """Flush when the oldest buffered record waited `max_delay_s`; True when empty now."""
        with self._lock:
            if self._buffer and wall.monotonic() - self._oldest >= max_delay_s:
                self.flush()
            return not self._buffer

    def records(
        self, since: int = 0, kind: str | None = None, limit: int | None = None
    ) -> list[AuditRecord]:
        """Stored records from sequence number `since`, optionally of one kind, in order."""
        self.flush()
        with self._lock:
            return read_records(self._wcon, since, kind, limit)

    def verify(self, checkpoints: list[Checkpoint] | None = None) -> AuditReport:
        """Walk the whole stored chain, check MACs, head and checkpoints (stored and given)."""
        self.flush()
        with self._lock:
            return verify_database(self._wcon, self.keyring, checkpoints or [])

    def export(self, path: Path) -> int:
        """Write the trail as JSON lines plus a trailer; returns the number of records."""
        rows = self.records()
        head = rows[-1].hash if rows else GENESIS
        mac = self.keyring.sign(head_text(len(rows), head)) if self.keyring else None
        write_trail(path, rows, len(rows), head, mac)
        return len(rows)

    def close(self) -> None:
        self.flush()
        _FLUSHER.forget(self)


def _wall_ns() -> int:
    return wall.time_ns()


class _Flusher:
    """One daemon thread that flushes every audit log holding records older than its
    `max_delay_s` (checked every 0.1 s)."""

    period_s = 0.1

    def __init__(self) -> None:
        self._logs: weakref.WeakSet[AuditLog] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, log_: AuditLog) -> None:
        with self._lock:
            self._logs.add(log_)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="jayul-audit-flush", daemon=True
                )
                self._thread.start()

    def forget(self, log_: AuditLog) -> None:
        with self._lock:
            self._logs.discard(log_)

    def _run(self) -> None:
        while True:
            wall.sleep(self.period_s)
            with self._lock:
                logs = list(self._logs)
            for item in logs:
                try:
                    empty = item.flush_if_older(item.max_delay_s or 0.0)
                except Exception as exc:  # a closed connection: report, never kill the thread
                    item.flush_error = f"{type(exc).__name__}: {exc}"
                    log.error("audit flush failed: %s", item.flush_error)
                    empty = True
                if empty:
                    with item._lock:  # an append in between re-registers under this lock
                        if not item._buffer:
                            self.forget(item)


_FLUSHER = _Flusher()
