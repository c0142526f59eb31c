"""The centre's fast path for samples: every samples message of a fetched batch goes into
PostgreSQL in one binary COPY, with one statement for their message ids and one for the sites'
counters, inside the batch's transaction.

Rows are narrow: `sample_rows (time, value, signal_id, site_id, quality)`, partitioned by
`site_id`, with the names in `sites` and `signals` (ids given by PostgreSQL the first time a
site or a (machine, signal) of a site is seen). The `samples` view joins the names back. A row
takes 52 bytes in the heap instead of about 88 with the names in every row, and the COPY's
binary rows are built by numpy in one pass: no per-row Python, no text parsing in PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import psycopg
from psycopg import sql

from jayul.fleet.sample_wire import SampleColumns

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # binary COPY: signature, flags, extension
_TRAILER = b"\xff\xff"
# One binary COPY row: field count, then (length, big-endian value) per column.
_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("time_len", ">i4"), ("time", ">i8"),
        ("value_len", ">i4"), ("value", ">f8"),
        ("signal_len", ">i4"), ("signal_id", ">i4"),
        ("site_len", ">i4"), ("site_id", ">i2"),
        ("quality_len", ">i4"), ("quality", ">i2"),
    ]
)  # fmt: skip
_CONSTANTS = {
    "fields": 5, "time_len": 8, "value_len": 8, "signal_len": 4, "site_len": 2, "quality_len": 2,
}  # fmt: skip


@dataclass(frozen=True)
class SamplesMessage:
    msg_id: str
    site: str
    offered_ns: int
    columns: SampleColumns


def copy_rows(
    time: np.ndarray, value: np.ndarray, signal_id: np.ndarray, site_id: np.ndarray,
    quality: np.ndarray,
) -> bytes:  # fmt: skip
    """The whole binary COPY stream (signature, rows, trailer) for these columns."""
    rows = np.empty(len(time), _ROW)
    for name, constant in _CONSTANTS.items():
        rows[name] = constant
    rows["time"] = time
    rows["value"] = value
    rows["signal_id"] = signal_id
    rows["site_id"] = site_id
    rows["quality"] = quality
    return _SIGNATURE + rows.tobytes() + _TRAILER


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
                    name = sql.Identifier(f"sample_rows_{site}")
                    self.conn.execute(
                        sql.SQL(
                            "CREATE TABLE IF NOT EXISTS {}.{} PARTITION OF {}.sample_rows "
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
        parts = []
        for m in messages:
            site_id = self.site_ids[m.site]
            ids = np.array(
                [self.signal_ids[(site_id, machine, signal)] for machine, signal in m.columns.keys],
                dtype=np.int32,
            )
            parts.append((m.columns, ids[m.columns.key], site_id))
        total = sum(len(c) for c, _, _ in parts)
        if total:
            stream = copy_rows(
                np.concatenate([c.time for c, _, _ in parts]),
                np.concatenate([c.value for c, _, _ in parts]),
                np.concatenate([ids for _, ids, _ in parts]),
                np.concatenate([np.full(len(c), i, np.int16) for c, _, i in parts]),
                np.concatenate([c.quality for c, _, _ in parts]),
            )
            copy = sql.SQL(
                "COPY {}.sample_rows (time, value, signal_id, site_id, quality) "
                "FROM STDIN (FORMAT binary)"
            ).format(s)
            with self.conn.cursor().copy(copy) as cp:
                cp.write(stream)
        self.conn.execute(
            sql.SQL(
                "INSERT INTO {}.messages (msg_id, site, kind, offered_ns, stored_ns, rows) "
                "SELECT m, s, 'samples', o, %s, r "
                "FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::integer[]) AS u(m, s, o, r)"
            ).format(s),
            (
                now,
                [m.msg_id for m in messages],
                [m.site for m in messages],
                [m.offered_ns for m in messages],
                [len(m.columns) for m in messages],
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
