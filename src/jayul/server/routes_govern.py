"""Governance over HTTP: registered models with their cards and scorecards, the audit trail."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query

from jayul.govern.audit_chain import AuditRecord
from jayul.govern.registry import ModelRecord
from jayul.server.auth import current_session, live_state
from jayul.server.live import LiveState
from jayul.server.users import Session

router = APIRouter(prefix="/api", tags=["govern"])


def model_json(m: ModelRecord) -> dict[str, Any]:
    out = m.model_dump(mode="json")
    if m.scorecard is not None:
        out["scorecard"]["overall"] = m.scorecard.overall.value
        out["scorecard"]["max_autonomy"] = m.scorecard.max_autonomy.name
    return out


def record_json(r: AuditRecord) -> dict[str, Any]:
    return {
        "seq": r.seq,
        "time": r.time,
        "actor": r.actor,
        "kind": r.kind,
        "subject": r.subject,
        "reason": r.reason,
        "payload": json.loads(r.payload),
        "hash": r.hash,
    }


@router.get("/models", summary="Registered models, each with its card and risk scorecard")
def models(
    state: LiveState = Depends(live_state), _: Session = Depends(current_session)
) -> list[dict[str, Any]]:
    with state.lock:
        found = state.registry.models()
    return [model_json(m) for m in found]


@router.get("/models/{name}", summary="One model's latest (or given) version")
def model(
    name: str,
    version: int | None = Query(None, ge=1),
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> dict[str, Any]:
    with state.lock:
        try:
            found = state.registry.get(name, version)
        except KeyError as exc:
            raise HTTPException(status_code=404, detail=str(exc).strip("'\"")) from None
    return model_json(found)


@router.get("/audit", summary="The audit trail, newest first: who or what did what, and why")
def audit(
    kind: str | None = Query(None, max_length=100),
    actor: str | None = Query(None, max_length=100),
    subject: str | None = Query(None, max_length=200),
    limit: int = Query(200, ge=1, le=5000),
    before: int | None = Query(None, ge=0, description="only records with seq below this"),
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> dict[str, Any]:
    with state.lock:
        state.audit.flush()
        sql = "SELECT seq, time, actor, kind, subject, reason, payload, prev, hash FROM audit_log"
        where: list[str] = []
        params: list[str | int] = []
        for col, value in (("kind", kind), ("actor", actor), ("subject", subject)):
            if value is not None:
                where.append(f"{col} = ?")
                params.append(value)
        if before is not None:
            where.append("seq < ?")
            params.append(before)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY seq DESC LIMIT {int(limit)}"
        rows = state.con.execute(sql, params).fetchall()
        total = state.audit.count
    return {"count": total, "records": [record_json(AuditRecord(*r)) for r in rows]}


@router.get("/audit/verify", summary="Walk the hash chain and say whether it is intact")
def verify(
    state: LiveState = Depends(live_state), _: Session = Depends(current_session)
) -> dict[str, Any]:
    with state.lock:
        report = state.audit.verify()
        log = state.audit
        anchor = None
        if log.anchor is not None:  # the checkpoints still waiting for the anchor
            anchor = {
                "anchor": str(log.anchor),
                "unanchored": [cp.count for cp in log.unanchored],
                "error": log.anchor_error,
            }
    return {**dataclasses.asdict(report), "summary": report.summary(), "anchor": anchor}
