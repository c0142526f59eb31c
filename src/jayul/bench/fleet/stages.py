"""Where a sample's time goes between its site and the centre's commit, stage by stage, read
from the centre's own records (`messages` a row a message, `batches` a row a fetched batch):

- `site`: offered to the outbox -> stored by JetStream (the publisher waking, reading the
  outbox, publishing, JetStream writing it: `stream_ns`, the stream's own time);
- `delivery`: stored by JetStream -> fetched by the centre (the centre's wait for messages);
- `decode`: fetched -> the write began (reading the bodies, preparing ids);
- `write`: the write began -> committed (the binary COPY and the commit);
- `total`: offered -> committed, the latency a user of the centre's database sees;
- `centre`: stored by JetStream -> committed (delivery, decode and write together: the
  centre's share of `total`, without the sites' process, which the benchmark starves too).

With the centre's overlapped writes a batch's `fetched_ns` is when its last message was
fetched: a message fetched earlier counts its wait in the centre in `delivery`, not `decode`.

All on one clock here (one machine); across machines `site` and `delivery` would carry the
clock difference between the site and the NATS server.
"""

from __future__ import annotations

from typing import Any

import psycopg

STAGES = {
    "site": "m.stream_ns - m.offered_ns",
    "delivery": "b.fetched_ns - m.stream_ns",
    "decode": "m.stored_ns - b.fetched_ns",
    "write": "b.committed_ns - m.stored_ns",
    "total": "b.committed_ns - m.offered_ns",
    "centre": "b.committed_ns - m.stream_ns",
}


def stage_latencies(
    conn: psycopg.Connection[Any], schema: str, offered_before_ns: int | None = None
) -> dict[str, float | None]:
    """p50 and p99 of each stage over samples messages (offered before `offered_before_ns`
    when given), in seconds; None where the centre did not record the times."""
    cols = ", ".join(
        f"percentile_disc({q}) WITHIN GROUP (ORDER BY {expr})"
        for expr in STAGES.values()
        for q in (0.5, 0.99)
    )
    where = "m.kind = 'samples' AND m.stream_ns IS NOT NULL"
    params: tuple[int, ...] = ()
    if offered_before_ns is not None:
        where += " AND m.offered_ns < %s"
        params = (offered_before_ns,)
    row = conn.execute(
        f'SELECT {cols} FROM "{schema}".messages m '
        f'JOIN "{schema}".batches b ON b.stored_ns = m.stored_ns WHERE {where}',
        params,
    ).fetchone()
    values = list(row) if row is not None else [None] * (2 * len(STAGES))
    out: dict[str, float | None] = {}
    for i, name in enumerate(STAGES):
        for j, q in enumerate(("p50", "p99")):
            v = values[2 * i + j]
            out[f"{name}_{q}_s"] = round(int(v) / 1e9, 3) if v is not None else None
    # how large the centre's batches were (a batch is one COPY and one commit)
    sizes = conn.execute(
        f'SELECT count(*), avg(b.messages), avg(b.samples) FROM "{schema}".batches b'
        + (" WHERE b.stored_ns < %s" if offered_before_ns is not None else ""),
        params,
    ).fetchone() or (0, None, None)
    out["batches"] = int(sizes[0])
    out["messages_per_batch"] = round(float(sizes[1]), 1) if sizes[1] is not None else None
    out["samples_per_batch"] = round(float(sizes[2])) if sizes[2] is not None else None
    return out
