"""The centre's PostgreSQL store: one schema for the fleet, samples in one table partitioned by
site (LIST), events, KPIs and model updates in plain tables keyed by site.

Why a partitioned table rather than a schema per site (docs/fleet.md, measured): the console's
questions are across sites (alarm counts, KPIs side by side) and are one statement here instead
of a UNION over every site's schema; a site's data is still its own partition, dropped or
detached in one statement; and ingest goes through one COPY whatever the number of sites.

Samples go through `store_samples` (a block of arrays a message, one binary COPY a batch);
`samples` is a view with one row a sample and the names joined back.

Idempotency: `messages` holds every message id stored. A batch is written in one transaction:
ids already there are skipped, the rest stored; the caller acknowledges to JetStream only after
the commit, so a redelivery (centre killed between commit and ack) changes nothing. Two stores
writing side by side (the centre's writers) stay exact: a message id in both batches at once
makes the second wait for the first's commit on the primary key, fail, and be written again
one message at a time, where the id is then found and skipped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from jayul.fleet.config import SUBJECT_TOKEN, Kind
from jayul.fleet.store_samples import SamplesMessage, SampleWriter
from jayul.fleet.wire import WireError, decode_events, decode_json, decode_samples

_TABLES = """
CREATE TABLE IF NOT EXISTS {s}.sites (
    site text PRIMARY KEY, site_id smallint GENERATED ALWAYS AS IDENTITY UNIQUE,
    first_seen_ns bigint NOT NULL, last_seen_ns bigint NOT NULL,
    last_offered_ns bigint NOT NULL DEFAULT 0, messages bigint NOT NULL DEFAULT 0,
    samples bigint NOT NULL DEFAULT 0, kpis jsonb, kpis_ns bigint, backlog bigint);
CREATE TABLE IF NOT EXISTS {s}.messages (
    msg_id text PRIMARY KEY, site text NOT NULL, kind text NOT NULL,
    offered_ns bigint NOT NULL, stored_ns bigint NOT NULL, rows integer NOT NULL);
ALTER TABLE {s}.messages ADD COLUMN IF NOT EXISTS stream_ns bigint;
CREATE TABLE IF NOT EXISTS {s}.batches (
    fetched_ns bigint NOT NULL, stored_ns bigint NOT NULL, committed_ns bigint NOT NULL,
    messages integer NOT NULL, samples bigint NOT NULL);
CREATE TABLE IF NOT EXISTS {s}.signals (
    signal_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, site_id smallint NOT NULL,
    machine text NOT NULL, signal text NOT NULL, UNIQUE (site_id, machine, signal));
CREATE TABLE IF NOT EXISTS {s}.sample_blocks (
    site_id smallint NOT NULL, t_first bigint NOT NULL, t_last bigint NOT NULL,
    n integer NOT NULL, time bigint[] NOT NULL, value double precision[] NOT NULL,
    signal_id integer[] NOT NULL, quality smallint[] NOT NULL) PARTITION BY LIST (site_id);
CREATE OR REPLACE VIEW {s}.samples AS
    SELECT t.site, u.time, k.machine, k.signal, u.value, u.quality
    FROM {s}.sample_blocks b
    CROSS JOIN LATERAL unnest(b.time, b.value, b.signal_id, b.quality)
        AS u(time, value, signal_id, quality)
    JOIN {s}.signals k ON k.signal_id = u.signal_id
    JOIN {s}.sites t ON t.site_id = b.site_id;
CREATE TABLE IF NOT EXISTS {s}.events (
    site text NOT NULL, id text NOT NULL, time bigint NOT NULL, machine text,
    kind text NOT NULL, payload jsonb NOT NULL, PRIMARY KEY (site, id));
CREATE TABLE IF NOT EXISTS {s}.kpis (
    site text NOT NULL, time bigint NOT NULL, kpis jsonb NOT NULL, PRIMARY KEY (site, time));
CREATE TABLE IF NOT EXISTS {s}.models (
    site text NOT NULL, name text NOT NULL, version text NOT NULL, time bigint NOT NULL,
    payload jsonb NOT NULL, PRIMARY KEY (site, name, version));
CREATE TABLE IF NOT EXISTS {s}.dead_letters (
    stored_ns bigint NOT NULL, subject text NOT NULL, msg_id text, reason text NOT NULL,
    payload bytea);
"""


@dataclass(frozen=True)
class Incoming:
    """One message as JetStream delivered it."""

    subject: str
    msg_id: str | None
    offered_ns: int | None
    body: bytes
    stream_ns: int | None = None  # when JetStream stored it (None: not known)


@dataclass
class BatchResult:
    stored: int = 0  # messages stored now
    repeats: int = 0  # message ids already stored (redeliveries): skipped
    dead: int = 0  # unreadable: in dead_letters with the reason
    samples: int = 0


class FleetStore:
    """The fleet's tables in PostgreSQL schema `schema` (created when missing)."""

    def __init__(
        self, dsn: str, schema: str = "jayul_fleet", prepare_lock: threading.Lock | None = None
    ) -> None:
        self.schema = schema
        # stores writing side by side share it: new sites' partitions made by one at a time
        # (two concurrent CREATE TABLE IF NOT EXISTS of one name can both try to make it)
        self.prepare_lock = prepare_lock or threading.Lock()
        self.conn = psycopg.connect(dsn, application_name="jayul-fleet-centre")
        self._s = sql.Identifier(schema)
        self.sample_writer = SampleWriter(self.conn, self._s)
        with self.conn.transaction():
            old = self.conn.execute(
                "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = 'samples'",
                (schema,),
            ).fetchone()
            if old is not None and old[0] != "v":
                raise psycopg.ProgrammingError(
                    f"schema {schema} holds the first fleet version's samples table (a row a "
                    "sample); this centre stores blocks of samples: use another --schema"
                )
            self.conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(self._s))
            for stmt in _TABLES.split(";"):
                if stmt.strip():
                    self.conn.execute(sql.SQL(stmt).format(s=self._s))

    def close(self) -> None:
        self.conn.close()

    def write(
        self, batch: Sequence[Incoming], prefix: str, fetched_ns: int | None = None
    ) -> BatchResult:
        """Store a batch in one transaction, skipping ids already stored (see the docstring).
        The batch's samples go in one COPY; if the database refuses it (a value it cannot
        take), the batch is written again one message at a time, so that only the culprit
        becomes a dead letter. `fetched_ns` (when the batch left JetStream) goes into
        `batches` with the write's start and commit times, the centre's stages of latency."""
        return self.write_read(read_batch(batch, prefix), fetched_ns)

    def write_read(self, read: Sequence[ReadMessage], fetched_ns: int | None = None) -> BatchResult:
        """`write` of a batch already read (`read_batch`): the centre reads the next batch
        while this one is written."""
        now = time.time_ns()
        result = self._write_batch(list(read), now)
        if fetched_ns is not None and read:
            self._record_batch(fetched_ns, now, len(read), result.samples)
        return result

    def _record_batch(self, fetched_ns: int, stored_ns: int, messages: int, samples: int) -> None:
        """One row of timings after the commit, in a transaction that does not wait for the
        disk (a timing lost in a crash costs nothing, a second flush per batch would)."""
        committed_ns = time.time_ns()
        with self.conn.transaction():
            self.conn.execute("SET LOCAL synchronous_commit TO OFF")
            self.conn.execute(
                sql.SQL(
                    "INSERT INTO {}.batches (fetched_ns, stored_ns, committed_ns, messages, "
                    "samples) VALUES (%s, %s, %s, %s, %s)"
                ).format(self._s),
                (fetched_ns, stored_ns, committed_ns, messages, samples),
            )

    def _write_batch(self, read: list[ReadMessage], now: int) -> BatchResult:
        for r in read:
            r.error = r.decode_error  # a failed COPY of an earlier attempt marks it again
            r.samples = r.decoded
        try:
            with self.prepare_lock:
                self.sample_writer.prepare([r.samples for r in read if r.samples], now)
            return self._write(read, now, together=True)
        except (psycopg.OperationalError, psycopg.InterfaceError):
            raise  # the database, not a message: nothing commits, nothing is acked
        except psycopg.Error:
            for r in read:
                if r.samples is not None:
                    try:
                        with self.prepare_lock:
                            self.sample_writer.prepare([r.samples], now)
                    except (psycopg.OperationalError, psycopg.InterfaceError):
                        raise
                    except psycopg.Error as exc:
                        r.error, r.samples = str(exc), None
            return self._write(read, now, together=False)

    def _write(self, read: list[ReadMessage], now: int, together: bool) -> BatchResult:
        out = BatchResult()
        samples: list[SamplesMessage] = []
        with self.conn.transaction():
            known = self._known([r.m.msg_id for r in read if r.m.msg_id])
            for r in read:
                m = r.m
                if m.msg_id in known:
                    out.repeats += 1
                    continue
                if r.error is not None or m.msg_id is None:
                    self._dead(m, r.error or "no Nats-Msg-Id header", now)
                    out.dead += 1
                    continue
                known.add(m.msg_id)
                if r.samples is not None and together:
                    samples.append(r.samples)
                    continue
                try:
                    with self.conn.transaction():  # a savepoint: a bad body undoes only itself
                        if r.samples is not None:
                            rows = self.sample_writer.store([r.samples], now)
                        else:
                            rows = self._store(r.site, r.kind, m, now)
                except (psycopg.OperationalError, psycopg.InterfaceError):
                    raise
                except (WireError, psycopg.Error, ValueError) as exc:  # this message's fault
                    self._dead(m, str(exc), now)
                    out.dead += 1
                    continue
                out.stored += 1
                out.samples += rows if r.samples is not None else 0
            if samples:
                out.samples += self.sample_writer.store(samples, now)
                out.stored += len(samples)
        return out

    def _known(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        rows = self.conn.execute(
            sql.SQL("SELECT msg_id FROM {}.messages WHERE msg_id = ANY(%s)").format(self._s),
            (ids,),
        ).fetchall()
        return {str(r[0]) for r in rows}

    def _store(self, site: str, kind: Kind, m: Incoming, now: int) -> int:
        s = self._s
        assert m.msg_id is not None
        rows = 0
        if kind in (Kind.ALERTS, Kind.ACTIONS, Kind.EVENTS):
            events = decode_events(m.body)
            with self.conn.cursor() as cur:
                cur.executemany(
                    sql.SQL(
                        "INSERT INTO {}.events (site, id, time, machine, kind, payload) "
                        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
                    ).format(s),
                    [
                        (site, e.id, e.time, e.machine, e.kind.value, Jsonb(e.payload))
                        for e in events
                    ],
                )
            rows = len(events)
        elif kind is Kind.KPIS:
            body = decode_json(m.body)
            at, kpis = int(body.get("time", now)), body.get("kpis", {})
            self.conn.execute(
                sql.SQL(
                    "INSERT INTO {}.kpis (site, time, kpis) VALUES (%s, %s, %s) "
                    "ON CONFLICT DO NOTHING"
                ).format(s),
                (site, at, Jsonb(kpis)),
            )
            self.conn.execute(
                sql.SQL(
                    "INSERT INTO {}.sites (site, first_seen_ns, last_seen_ns) VALUES (%s, %s, %s) "
                    "ON CONFLICT (site) DO NOTHING"
                ).format(s),
                (site, now, now),
            )
            self.conn.execute(
                sql.SQL(
                    "UPDATE {}.sites SET kpis = %s, kpis_ns = %s, backlog = %s "
                    "WHERE site = %s AND (kpis_ns IS NULL OR kpis_ns <= %s)"
                ).format(s),
                (Jsonb(kpis), at, body.get("backlog"), site, at),
            )
            rows = 1
        elif kind is Kind.MODELS:
            body = decode_json(m.body)
            self.conn.execute(
                sql.SQL(
                    "INSERT INTO {}.models (site, name, version, time, payload) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
                ).format(s),
                (site, str(body.get("name")), str(body.get("version")), now, Jsonb(body)),
            )
            rows = 1
        offered = m.offered_ns or now
        self.conn.execute(
            sql.SQL(
                "INSERT INTO {}.messages (msg_id, site, kind, offered_ns, stored_ns, rows, "
                "stream_ns) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            ).format(s),
            (m.msg_id, site, kind.value, offered, now, rows, m.stream_ns),
        )
        self.conn.execute(
            sql.SQL(
                "INSERT INTO {s}.sites AS t (site, first_seen_ns, last_seen_ns, last_offered_ns, "
                "messages, samples) VALUES (%s, %s, %s, %s, 1, %s) ON CONFLICT (site) DO UPDATE "
                "SET last_seen_ns = excluded.last_seen_ns, "
                "last_offered_ns = greatest(t.last_offered_ns, excluded.last_offered_ns), "
                "messages = t.messages + 1, samples = t.samples + excluded.samples"
            ).format(s=s),
            (site, now, now, offered, 0),
        )
        return rows

    def _dead(self, m: Incoming, reason: str, now: int) -> None:
        self.conn.execute(
            sql.SQL(
                "INSERT INTO {}.dead_letters (stored_ns, subject, msg_id, reason, payload) "
                "VALUES (%s, %s, %s, %s, %s)"
            ).format(self._s),
            (now, m.subject, m.msg_id, reason, m.body),
        )

    def query(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """A read over the fleet's tables; `{s}` in `statement` names the schema."""
        with self.conn.transaction():
            return self.conn.execute(
                sql.SQL(statement).format(s=self._s),
                params,
            ).fetchall()


@dataclass
class ReadMessage:
    """A message routed and, for samples, decoded before any database work."""

    m: Incoming
    site: str = ""
    kind: Kind = Kind.EVENTS
    decoded: SamplesMessage | None = None
    decode_error: str | None = None
    # what the write makes of it: the samples dropped and an error set when the database
    # refuses them (reset from the decoded fields at each attempt)
    samples: SamplesMessage | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        self.samples, self.error = self.decoded, self.decode_error


def read_batch(batch: Sequence[Incoming], prefix: str) -> list[ReadMessage]:
    """Route every message and decode the samples ones: no database work, so it can run
    while the previous batch is written."""
    now = time.time_ns()
    return [_read(m, prefix, now) for m in batch]


def _read(m: Incoming, prefix: str, now: int) -> ReadMessage:
    try:
        site, kind = _route(m.subject, prefix)
        if m.msg_id is None:
            raise WireError("no Nats-Msg-Id header: cannot store it exactly once")
        if kind is Kind.SAMPLES:
            columns = decode_samples(m.body)
            return ReadMessage(
                m,
                site,
                kind,
                SamplesMessage(m.msg_id, site, m.offered_ns or now, columns, m.stream_ns),
            )
        return ReadMessage(m, site, kind)
    except WireError as exc:
        return ReadMessage(m, decode_error=str(exc))


def _route(subject: str, prefix: str) -> tuple[str, Kind]:
    parts = subject.split(".")
    head = prefix.split(".")
    if len(parts) != len(head) + 3 or parts[: len(head)] != head or parts[len(head)] != "site":
        raise WireError(f"subject {subject!r} is not {prefix}.site.<site>.<kind>")
    if not SUBJECT_TOKEN.match(parts[-2]):
        raise WireError(f"subject {subject!r}: site {parts[-2]!r} is not a site id")
    try:
        return parts[-2], Kind(parts[-1])
    except ValueError:
        raise WireError(f"subject {subject!r}: unknown kind {parts[-1]!r}") from None
