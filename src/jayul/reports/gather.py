"""What a report says, read from the plant database: the historian's events (KPIs, alerts),
the alarms (stored, or made from the alerts when no console kept them), the gate's audit
records (actions taken, refused, asked of a person, decided) and the model registry.

KPIs here are computed from events, so they hold for any range and any plant: failures,
maintenance done, repairs, orders done, down hours (maintenance and repair, clipped to the
range) and availability as 1 - down hours / machine hours.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from jayul.alarms import AlarmBoard, AlarmStore
from jayul.alarms.model import Alarm
from jayul.govern.db import Connection, has_table
from jayul.historian.base import Historian
from jayul.historian.explore import markers
from jayul.historian.sql_store import SqlHistorian
from jayul.records import EventKind
from jayul.records.timebase import NS_PER_H

ACTION_KINDS = ("action_executed", "action_refused", "action_pending", "action_failed")
APPROVAL_KINDS = ("approval_approved", "approval_rejected", "approval_expired")


@dataclass
class ReportData:
    start_ns: int
    end_ns: int
    plant: str
    machines: list[str]
    kpis: dict[str, float] = field(default_factory=dict)
    alarms: list[Alarm] = field(default_factory=list)
    alarms_from: str = ""
    actions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)


def _count(historian: Historian, start: int, end: int, kind: EventKind) -> int:
    return len(historian.query_events(start, end, None, [kind]))


def gather(
    historian: Historian,
    con: Connection | None,
    start_ns: int,
    end_ns: int,
    plant: str = "",
    machines: list[str] | None = None,
) -> ReportData:
    if end_ns <= start_ns:
        raise ValueError("the report's end must be after its start")
    events = markers(historian, None, start_ns, end_ns)
    found = sorted({str(b["machine"]) for b in events["bands"]} | set(machines or []))
    hours = (end_ns - start_ns) / NS_PER_H
    down_h = sum((b["end"] - b["start"]) / NS_PER_H for b in events["bands"])
    machine_hours = hours * max(len(machines or found), 1)
    alerts = historian.query_events(start_ns, end_ns, None, [EventKind.ALERT])
    data = ReportData(start_ns, end_ns, plant, machines or found)
    data.kpis = {
        "hours": hours,
        "alerts": float(len(alerts)),
        "failures": float(_count(historian, start_ns, end_ns, EventKind.FAILURE)),
        "maintenances": float(_count(historian, start_ns, end_ns, EventKind.MAINTENANCE_END)),
        "repairs": float(_count(historian, start_ns, end_ns, EventKind.REPAIR_END)),
        "orders_done": float(_count(historian, start_ns, end_ns, EventKind.ORDER_DONE)),
        "down_h": down_h,
        "availability": 1.0 - down_h / machine_hours if machine_hours else 1.0,
    }
    stored = AlarmStore(historian) if isinstance(historian, SqlHistorian) else None
    in_range = stored.query(start_ns=start_ns, end_ns=end_ns, limit=10_000) if stored else []
    if in_range:
        data.alarms, data.alarms_from = in_range, "the alarm store"
    else:  # no console kept alarms here (a headless run): the same rule, made from the alerts
        board = AlarmBoard()
        for e in alerts:
            board.raise_or_repeat(
                f"{e.machine}/{e.payload.get('detector', '')}",
                e.machine or "",
                str(e.payload.get("detector", "")),
                e.time,
                board_severity(e.payload),
                str(e.payload.get("reason", "")),
                alert_id=e.id,
            )
        data.alarms, data.alarms_from = board.alarms(), "the alerts (no alarm store kept them)"
    if con is not None and has_table(con, "audit_log"):
        data.actions, data.approvals = _audit(con, start_ns, end_ns)
    if con is not None and has_table(con, "models"):
        rows = con.execute(
            "SELECT name, version, status, class_name, metrics FROM models ORDER BY name, version"
        ).fetchall()
        data.models = [
            {"name": n, "version": v, "status": s, "class_name": c, "metrics": json.loads(m)}
            for n, v, s, c, m in rows
        ]
    return data


def board_severity(payload: dict[str, Any]) -> Any:
    from jayul.alarms.board import alert_severity
    from jayul.records import Alert

    return alert_severity(
        Alert(
            time=0,
            machine="-",
            detector="-",
            score=float(payload.get("score", 1.0)),
            threshold=float(payload.get("threshold", 1.0)),
        )
    )


def _audit(
    con: Connection, start: int, end: int
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    kinds = ACTION_KINDS + APPROVAL_KINDS
    rows = con.execute(
        "SELECT seq, time, actor, kind, subject, reason, payload FROM audit_log "
        f"WHERE time >= ? AND time < ? AND kind IN ({', '.join('?' * len(kinds))}) ORDER BY seq",
        [start, end, *kinds],
    ).fetchall()
    actions: dict[str, list[dict[str, Any]]] = {k.removeprefix("action_"): [] for k in ACTION_KINDS}
    approvals: list[dict[str, Any]] = []
    for seq, time, actor, kind, subject, reason, payload in rows:
        p = json.loads(payload)
        if kind in APPROVAL_KINDS:
            approvals.append({"time": time, "by": actor, "what": kind.removeprefix("approval_"),
                              "machine": subject, "reason": reason})  # fmt: skip
            continue
        action = p.get("action") if isinstance(p.get("action"), dict) else {}
        actions[kind.removeprefix("action_")].append(
            {
                "seq": seq,
                "time": time,
                "machine": subject,
                "action": action.get("params", {}).get("action") or action.get("kind", ""),
                "proposer": p.get("proposer") or action.get("origin", ""),
                "check": p.get("check", ""),
                "reason": reason,
                "verdict": p.get("verdict_reason") or "",
            }
        )
    return actions, approvals
