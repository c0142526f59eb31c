"""The centre's fast path for samples: every samples message of a fetched batch goes into
PostgreSQL in one binary COPY, with one statement for their message ids and one for the sites'
counters, inside the batch's transaction.

A message is stored as one row of `sample_blocks`: its site id, first and last time, row
count, and four parallel arrays (time, value, signal id, quality), partitioned by site id.
The names are in `sites` and `signals` (ids given by PostgreSQL the first time a site or a
(machine, signal) of a site is seen), and the `samples` view unnests the blocks into one row a
sample with the names joined back. Why blocks rather than a row a sample: measured here
(docs/fleet.md), PostgreSQL spent 1.7 µs of CPU a sample inserting narrow rows, the largest
cost of the whole path; a block of ~800 samples costs it a fraction of that, and takes less
disk. The binary COPY stream is built by numpy: no per-sample Python, no text parsing.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import psycopg
from psycopg import sql

from jayul.fleet.sample_wire import SampleColumns

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # binary COPY: signature, flags, extension
_TRAILER = b"\xff\xff"
_INT8, _FLOAT8, _INT4, _INT2 = 20, 701, 23, 21  # PostgreSQL type oids of the array elements
_FIELDS = struct.Struct(">hihiqiqii")  # 8 fields; site_id, t_first, t_last, n with lengths


def pg_array(values: np.ndarray, oid: int, dtype: str) -> bytes:
    """A one-dimensional array without NULLs in PostgreSQL's binary format, length first."""
    n = len(values)
    cells = np.empty(n, [("len", ">i4"), ("v", dtype)])
    cells["len"] = np.dtype(dtype).itemsize
    cells["v"] = values
    body = struct.pack(">iiiii", 1, 0, oid, n, 1) + cells.tobytes()
    return struct.pack(">i", len(body)) + body


def block_row(
    site_id: int, time: np.ndarray, value: np.ndarray, signal_id: np.ndarray,
    quality: np.ndarray,
) -> bytes:  # fmt: skip
    """One `sample_blocks` row of a binary COPY."""
    t_first, t_last = (int(time.min()), int(time.max())) if len(time) else (0, 0)
    head = _FIELDS.pack(8, 2, site_id, 8, t_first, 8, t_last, 4, len(time))
    return b"".join(
        [
            head,
            pg_array(time, _INT8, ">i8"),
            pg_array(value, _FLOAT8, ">f8"),
            pg_array(signal_id, _INT4, ">i4"),
            pg_array(quality, _INT2, ">i2"),
        ]
    )


@dataclass(frozen=True)
class SamplesMessage:
    msg_id: str
    site: str
    offered_ns: int
    columns: SampleColumns
    stream_ns: int | None = None  # when JetStream stored it


class SampleWriter:
    """Ids of sites and signals (cached once committed) and the batch's COPY."""

    def __init__(self, conn: psycopg.Connection[tuple[object, ...]], schema: sql.Identifier):
        self.conn = conn
        self._s = schema
        self.site_ids: dict[str, int] = {}
        self.signal_ids: dict[tuple[int, str, str], int] = {}

    def prepare(self, messages: Sequence[SamplesMessage], now: int) -> None:
        """Give every new site an id and a partition and every new signal an id, committed on
        their own: a batch that fails later leaves only ids behind, which are harmless."""
        new_sites = sorted({m.site for m in messages} - self.site_ids.keys())
        new_keys = {
            (m.site, machine, signal)
            for m in messages
            for machine, signal in m.columns.keys
            if (self.site_ids.get(m.site, -1), machine, signal) not in self.signal_ids
        }
        if not new_sites and not new_keys:
            return
        s = self._s
        site_ids: dict[str, int] = {}
        signal_ids: dict[tuple[int, str, str], int] = {}
        with self.conn.transaction():
            if new_sites:
                self.conn.execute(
                    sql.SQL(
                        "INSERT INTO {}.sites (site, first_seen_ns, last_seen_ns) "
                        "SELECT unnest(%s::text[]), %s, %s ON CONFLICT (site) DO NOTHING"
                    ).format(s),
                    (new_sites, now, now),
                )
                for site, site_id in self.conn.execute(
                    sql.SQL("SELECT site, site_id FROM {}.sites WHERE site = ANY(%s)").format(s),
                    (new_sites,),
                ).fetchall():
                    name = sql.Identifier(f"sample_blocks_{site}")
                    self.conn.execute(
                        sql.SQL(
                            "CREATE TABLE IF NOT EXISTS {}.{} PARTITION OF {}.sample_blocks "
                            "FOR VALUES IN ({})"
                        ).format(s, name, s, sql.Literal(site_id))
                    )
                    site_ids[str(site)] = int(site_id)  # type: ignore[call-overload]
            if new_keys:
                known = {**self.site_ids, **site_ids}
                rows = [(known[site], m, g) for site, m, g in sorted(new_keys)]
                columns = [list(c) for c in zip(*rows, strict=True)]
                self.conn.execute(
                    sql.SQL(
                        "INSERT INTO {}.signals (site_id, machine, signal) "
                        "SELECT * FROM unnest(%s::smallint[], %s::text[], %s::text[]) "
                        "ON CONFLICT DO NOTHING"
                    ).format(s),
                    columns,
                )
                for site_id, machine, signal, signal_id in self.conn.execute(
                    sql.SQL(
                        "SELECT k.site_id, k.machine, k.signal, k.signal_id FROM {}.signals k "
                        "JOIN unnest(%s::smallint[], %s::text[], %s::text[]) AS u(i, m, g) "
                        "ON k.site_id = u.i AND k.machine = u.m AND k.signal = u.g"
                    ).format(s),
                    columns,
                ).fetchall():
                    key = (int(site_id), str(machine), str(signal))  # type: ignore[call-overload]
                    signal_ids[key] = int(signal_id)  # type: ignore[call-overload]
        self.site_ids.update(site_ids)  # cached only once committed
        self.signal_ids.update(signal_ids)

    def store(self, messages: Sequence[SamplesMessage], now: int) -> int:
        """COPY every message's rows and record the messages; inside the caller's transaction,
        after `prepare`. Returns the rows stored."""
        s = self._s
        blocks = []
        for m in messages:
            site_id = self.site_ids[m.site]
            ids = np.array(
                [self.signal_ids[(site_id, machine, signal)] for machine, signal in m.columns.keys],
                dtype=np.int32,
            )
            c = m.columns
            if len(c):
                blocks.append(block_row(site_id, c.time, c.value, ids[c.key], c.quality))
        if blocks:
            copy = sql.SQL(
                "COPY {}.sample_blocks (site_id, t_first, t_last, n, time, value, signal_id, "
                "quality) FROM STDIN (FORMAT binary)"
            ).format(s)
            with self.conn.cursor().copy(copy) as cp:
                cp.write(b"".join([_SIGNATURE, *blocks, _TRAILER]))
        total = sum(len(m.columns) for m in messages)
        self.conn.execute(
            sql.SQL(
                "INSERT INTO {}.messages (msg_id, site, kind, offered_ns, stored_ns, rows, "
                "stream_ns) SELECT m, s, 'samples', o, %s, r, j FROM unnest(%s::text[], "
                "%s::text[], %s::bigint[], %s::integer[], %s::bigint[]) AS u(m, s, o, r, j)"
            ).format(s),
            (
                now,
                [m.msg_id for m in messages],
                [m.site for m in messages],
                [m.offered_ns for m in messages],
                [len(m.columns) for m in messages],
                [m.stream_ns for m in messages],
            ),
        )
        per_site: dict[str, tuple[int, int, int]] = {}
        for m in messages:
            n, rows, offered = per_site.get(m.site, (0, 0, 0))
            per_site[m.site] = (n + 1, rows + len(m.columns), max(offered, m.offered_ns))
        sites = sorted(per_site)
        self.conn.execute(
            sql.SQL(
                "UPDATE {}.sites AS t SET last_seen_ns = %s, "
                "last_offered_ns = greatest(t.last_offered_ns, u.o), "
                "messages = t.messages + u.n, samples = t.samples + u.r "
                "FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::bigint[]) "
                "AS u(s, n, r, o) "
                "WHERE t.site = u.s"
            ).format(s),
            (
                now,
                sites,
                [per_site[x][0] for x in sites],
                [per_site[x][1] for x in sites],
                [per_site[x][2] for x in sites],
            ),
        )
        return total
