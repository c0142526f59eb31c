"""What the console needs to tell the truth: the verifier's and the gate's refusals with their
reasons, and every model the live loop runs with its card and scorecard."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query

from jayul.gate import AutonomyLevel
from jayul.records.events import ActionKind
from jayul.server.auth import current_session, live_state
from jayul.server.live import LiveState
from jayul.server.models_in_use import models_in_use
from jayul.server.users import Session

router = APIRouter(prefix="/api", tags=["operate"])


@router.get("/refusals", summary="Actions the verifier or the gate refused, with the reasons")
def refusals(
    limit: int = Query(200, ge=1, le=5000),
    machine: str | None = Query(None, max_length=100),
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> dict[str, Any]:
    with state.lock:
        state.audit.flush()
        sql = (
            "SELECT seq, time, actor, subject, reason, payload FROM audit_log "
            "WHERE kind = 'action_refused'"
        )
        params: list[Any] = []
        if machine is not None:
            sql += " AND subject = ?"
            params.append(machine)
        rows = state.con.execute(sql + f" ORDER BY seq DESC LIMIT {int(limit)}", params).fetchall()
        total = state.con.execute(
            "SELECT count(*) FROM audit_log WHERE kind = 'action_refused'"
        ).fetchall()[0][0]
    out = []
    for seq, time, actor, subject, reason, payload in rows:
        p = json.loads(payload)
        action = p.get("action") if isinstance(p.get("action"), dict) else {}
        check = p.get("check", "")
        out.append(
            {
                "seq": seq,
                "time": time,
                "machine": subject,
                "by": "verifier" if check == "verdict" else actor,
                "check": check,
                "reason": reason,
                "verdict_reason": p.get("verdict_reason") or "",
                "proposer": p.get("proposer") or action.get("origin", ""),
                "action": action.get("kind", ""),
                "params": action.get("params", {}),
                "expected_effect": action.get("expected_effect", ""),
            }
        )
    return {"count": int(total), "refusals": out}


@router.get(
    "/models-in-use",
    summary="Every model the live loop runs (detectors, RUL models) with card and scorecard",
)
def in_use(
    state: LiveState = Depends(live_state), _: Session = Depends(current_session)
) -> list[dict[str, Any]]:
    with state.lock:
        level = (
            state.gate.autonomy.level_for(None, ActionKind.START_MAINTENANCE)
            if state.gate is not None
            else AutonomyLevel.L0
        )
        return models_in_use(state.pilot, level)


@router.get("/notifications", summary="Notification channels: sent, pending, held, failures")
def notifications(
    state: LiveState = Depends(live_state), _: Session = Depends(current_session)
) -> dict[str, Any]:
    if state.notifier is None:
        return {"configured": False, "channels": [], "reason": "no --notify file was given"}
    return {"configured": True, "channels": state.notifier.snapshot()}
