"""What the fleet console shows: every site with when it was last heard from, its connection
state, its alarm and action counts and its latest KPIs, side by side. Read on a connection of
its own (the consumer's connection is busy in its transactions)."""

from __future__ import annotations

import time
from typing import Any

import psycopg
from psycopg import sql

_SITES = """
SELECT s.site, s.first_seen_ns, s.last_seen_ns, s.last_offered_ns, s.messages, s.samples,
       s.kpis, s.kpis_ns, s.backlog,
       coalesce(e.alerts, 0), coalesce(e.alerts_24h, 0), coalesce(e.actions, 0),
       coalesce(e.failures, 0)
FROM {s}.sites s
LEFT JOIN (
    SELECT site,
           count(*) FILTER (WHERE kind = 'alert') AS alerts,
           count(*) FILTER (WHERE kind = 'alert' AND time >= %s) AS alerts_24h,
           count(*) FILTER (WHERE kind = 'action') AS actions,
           count(*) FILTER (WHERE kind = 'failure') AS failures
    FROM {s}.events GROUP BY site
) e ON e.site = s.site
ORDER BY s.site
"""


class FleetView:
    def __init__(self, dsn: str, schema: str) -> None:
        self.dsn = dsn
        self.schema = schema

    def sites(
        self, offline_after_s: float = 60.0, now_ns: int | None = None
    ) -> list[dict[str, Any]]:
        """One row per site: connection state `online` (heard within `offline_after_s`),
        `catching-up` (online with a backlog it reported) or `offline`."""
        now = now_ns if now_ns is not None else time.time_ns()
        query = sql.SQL(_SITES).format(s=sql.Identifier(self.schema))
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            rows = conn.execute(query, (now - 24 * 3600 * 10**9,)).fetchall()
        out = []
        for r in rows:
            last_seen = int(r[2])
            backlog = r[8]
            if (now - last_seen) / 1e9 > offline_after_s:
                state = "offline"
            elif backlog:
                state = "catching-up"
            else:
                state = "online"
            out.append(
                {
                    "site": r[0],
                    "state": state,
                    "first_seen_ns": int(r[1]),
                    "last_seen_ns": last_seen,
                    "last_seen_s_ago": round((now - last_seen) / 1e9, 1),
                    "last_offered_ns": int(r[3]),
                    "messages": int(r[4]),
                    "samples": int(r[5]),
                    "kpis": r[6] or {},
                    "kpis_ns": r[7],
                    "backlog": backlog,
                    "alerts": int(r[9]),
                    "alerts_24h": int(r[10]),
                    "actions": int(r[11]),
                    "failures": int(r[12]),
                }
            )
        return out
