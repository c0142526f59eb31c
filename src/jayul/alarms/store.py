"""Alarms and alarm rules in the historian's database (DuckDB or PostgreSQL).

Two side tables next to the historian's, written only here::

    alarms(id PK, key, machine, state, severity, first_ns, last_ns, count, body)
    alarm_rules(id PK, body)

`body` is the whole alarm (or rule) as JSON, the other columns are copies for filtering and
ordering. Both stores use the same SQL but for the parameter placeholder, through
`SqlHistorian.run_sql` (one connection, one lock, as the historian's own reads). Saving is an
upsert (`INSERT ... ON CONFLICT (id) DO UPDATE`), which both dialects speak, so saving the
same alarm again after a change, or after a restart, never duplicates it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from jayul.alarms.model import OPEN_STATES, Alarm, AlarmState
from jayul.historian.sql_store import SqlHistorian
from jayul.plant.model import AlarmRule

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS alarms (id VARCHAR PRIMARY KEY, key VARCHAR NOT NULL, "
    "machine VARCHAR NOT NULL, state VARCHAR NOT NULL, severity VARCHAR NOT NULL, "
    "first_ns BIGINT NOT NULL, last_ns BIGINT NOT NULL, count BIGINT NOT NULL, "
    "body VARCHAR NOT NULL)",
    "CREATE TABLE IF NOT EXISTS alarm_rules (id VARCHAR PRIMARY KEY, body VARCHAR NOT NULL)",
)
_ALARM_COLUMNS = ("id", "key", "machine", "state", "severity", "first_ns", "last_ns", "count")


class AlarmStore:
    """Alarms and rules of one plant, kept in its historian's database."""

    def __init__(self, historian: SqlHistorian) -> None:
        self.db = historian
        self.p = historian.placeholder
        for statement in SCHEMA:
            self.db.run_sql(statement)

    def save(self, alarms: Sequence[Alarm]) -> None:
        """Insert or update each alarm (by id)."""
        if not alarms:
            return
        cols = (*_ALARM_COLUMNS, "body")
        marks = ", ".join([self.p] * len(cols))
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols[1:])
        query = (
            f"INSERT INTO alarms ({', '.join(cols)}) VALUES ({marks}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates}"
        )
        for a in alarms:
            row: list[object] = [a.id, a.key, a.machine, a.state.value, a.severity.value]
            row += [a.first_ns, a.last_ns, a.count, a.model_dump_json()]
            self.db.run_sql(query, row)

    def get(self, alarm_id: str) -> Alarm | None:
        rows = self.db.run_sql(f"SELECT body FROM alarms WHERE id = {self.p}", [alarm_id])
        return Alarm.model_validate_json(rows[0][0]) if rows else None

    def query(
        self,
        states: Sequence[AlarmState] | None = None,
        machine: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
        limit: int = 500,
    ) -> list[Alarm]:
        """Alarms newest first (by last alert), filtered; a range keeps alarms alive in it."""
        where: list[str] = []
        params: list[object] = []
        if states:
            where.append(f"state IN ({', '.join([self.p] * len(states))})")
            params += [s.value for s in states]
        if machine is not None:
            where.append(f"machine = {self.p}")
            params.append(machine)
        if start_ns is not None:
            where.append(f"last_ns >= {self.p}")
            params.append(start_ns)
        if end_ns is not None:
            where.append(f"first_ns < {self.p}")
            params.append(end_ns)
        sql = "SELECT body FROM alarms"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY last_ns DESC, id LIMIT {int(limit)}"
        return [Alarm.model_validate_json(r[0]) for r in self.db.run_sql(sql, params)]

    def open_alarms(self) -> list[Alarm]:
        return self.query(OPEN_STATES, limit=100_000)

    # -- rules ------------------------------------------------------------------------------

    def rules(self) -> list[AlarmRule]:
        rows = self.db.run_sql("SELECT body FROM alarm_rules ORDER BY id")
        return [AlarmRule.model_validate(json.loads(r[0])) for r in rows]

    def put_rule(self, rule: AlarmRule) -> None:
        self.db.run_sql(
            f"INSERT INTO alarm_rules (id, body) VALUES ({self.p}, {self.p}) "
            "ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            [rule.id, rule.model_dump_json()],
        )

    def remove_rule(self, rule_id: str) -> None:
        self.db.run_sql(f"DELETE FROM alarm_rules WHERE id = {self.p}", [rule_id])
