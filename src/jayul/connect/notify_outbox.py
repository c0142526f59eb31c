"""The notifications' outbox, kept in the historian's database so that it survives a restart.

One table next to the historian's (DuckDB or PostgreSQL), written only here::

    notify_outbox(key PK, channel, state, due, attempts, last_error, created, done_at, body)

`key` is the message's idempotency key, so putting the same message twice (an alarm raised
again after a restart, a digest built again from the same held messages) keeps one row. A
message's `state` moves pending -> sent (or -> failed when its channel gives up), held ->
pending or -> digested (quiet hours, digests), watch -> done (an escalation timer, fired or
not needed). A message is marked sent only after its receiver accepted it, so a crash between
the two sends it again with the same key: at least once, and exactly once for a receiver that
drops a repeated `Idempotency-Key` (or e-mail `Message-ID`). Times are Unix seconds (the
notifier's clock). Without a historian the outbox is an in-memory DuckDB database: the same
code, nothing kept across a restart.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jayul.historian.duckdb_store import DuckDBHistorian
from jayul.historian.sql_store import SqlHistorian

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS notify_outbox (key VARCHAR PRIMARY KEY, "
    "channel VARCHAR NOT NULL, state VARCHAR NOT NULL, due DOUBLE PRECISION NOT NULL, "
    "attempts BIGINT NOT NULL, last_error VARCHAR NOT NULL, created DOUBLE PRECISION NOT NULL, "
    "done_at DOUBLE PRECISION, body VARCHAR NOT NULL)"
)
OPEN = ("pending", "held", "watch")  # what still has something to do
KEEP_DONE_S = 7 * 86400.0  # sent, digested and done rows are pruned after a week


@dataclass
class Message:
    key: str  # idempotency key: the same on every retry
    channel: str
    body: dict[str, Any]
    due: float = 0.0
    attempts: int = 0
    created: float = 0.0
    last_error: str = ""


class NotifyOutbox:
    """The outbox's rows; every method is one or a few short statements under the
    historian's lock, so the loop's put never waits on a receiver."""

    def __init__(self, historian: SqlHistorian | None = None) -> None:
        self.db: SqlHistorian = historian if historian is not None else DuckDBHistorian()
        self.durable = historian is not None
        self.p = self.db.placeholder
        self.db.run_sql(SCHEMA)

    def put(self, msg: Message, state: str) -> None:
        """Add a message (pending, held or watch) unless one with its key is there already."""
        p = self.p
        self.db.run_sql(
            "INSERT INTO notify_outbox (key, channel, state, due, attempts, last_error, created, "
            f"body) VALUES ({p}, {p}, {p}, {p}, 0, '', {p}, {p}) ON CONFLICT (key) DO NOTHING",
            [msg.key, msg.channel, state, msg.due, msg.created, json.dumps(msg.body)],
        )

    def _select(self, where: str, params: Sequence[object], limit: int = 10_000) -> list[Message]:
        rows = self.db.run_sql(
            "SELECT key, channel, body, due, attempts, created, last_error FROM notify_outbox "
            f"WHERE {where} ORDER BY due, key LIMIT {int(limit)}",
            list(params),
        )
        return [
            Message(k, c, json.loads(b), float(d), int(a), float(cr), e)
            for k, c, b, d, a, cr, e in rows
        ]

    def due(
        self, state: str, now: float, channels: Sequence[str], limit: int = 500
    ) -> list[Message]:
        """Messages of `channels` in `state` whose time has come, oldest first (rows of a
        channel no longer configured stay, and never crowd the others out)."""
        if not channels:
            return []
        marks = ", ".join([self.p] * len(channels))
        where = f"state = {self.p} AND due <= {self.p} AND channel IN ({marks})"
        return self._select(where, [state, now, *channels], limit)

    def held(self, channel: str) -> list[Message]:
        return self._select(f"state = 'held' AND channel = {self.p}", [channel])

    def move(
        self,
        keys: Sequence[str],
        state: str,
        now: float,
        *,
        attempts: int | None = None,
        due: float | None = None,
        error: str | None = None,
    ) -> None:
        """Set the state of `keys` (and, if given, attempts, next due time and last error)."""
        p = self.p
        sets: list[str] = [f"state = {p}"]
        params: list[object] = [state]
        if state in ("sent", "failed", "digested", "done"):
            sets.append(f"done_at = {p}")
            params.append(now)
        for column, value in (("attempts", attempts), ("due", due), ("last_error", error)):
            if value is not None:
                sets.append(f"{column} = {p}")
                params.append(value)
        for key in keys:
            self.db.run_sql(
                f"UPDATE notify_outbox SET {', '.join(sets)} WHERE key = {p}", [*params, key]
            )

    def counts(self) -> dict[str, dict[str, int]]:
        """channel -> state -> number of messages."""
        out: dict[str, dict[str, int]] = {}
        rows = self.db.run_sql(
            "SELECT channel, state, count(*) FROM notify_outbox GROUP BY channel, state"
        )
        for channel, state, n in rows:
            out.setdefault(str(channel), {})[str(state)] = int(n)
        return out

    def failing(self, channel: str, limit: int = 10) -> list[dict[str, Any]]:
        """The channel's messages that failed at least once and are not delivered: retrying
        (pending) or given up (failed), with the last error and the next attempt's time."""
        p = self.p
        rows = self.db.run_sql(
            "SELECT key, state, attempts, last_error, due, created FROM notify_outbox "
            f"WHERE channel = {p} AND attempts > 0 AND state IN ('pending', 'failed') "
            f"ORDER BY created DESC, key LIMIT {int(limit)}",
            [channel],
        )
        return [
            {"key": k, "state": s, "attempts": int(a), "last_error": e,
             "next_at": float(d) if s == "pending" else None, "since": float(c)}
            for k, s, a, e, d, c in rows
        ]  # fmt: skip

    def prune(self, now: float) -> None:
        """Forget finished messages older than a week (their keys are alarm ids, which do not
        come back, so the repeat they would stop cannot happen any more)."""
        self.db.run_sql(
            "DELETE FROM notify_outbox WHERE state NOT IN ('pending', 'held', 'watch') "
            f"AND done_at < {self.p}",
            [now - KEEP_DONE_S],
        )
