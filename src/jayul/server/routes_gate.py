"""The gate over HTTP: the approval queue, autonomy levels, the kill switch, and proposals by
people. Every write goes through the gate's public API with the caller's name, so the gate's
own checks (the envelope interlock first of all) and its audit trail apply to API callers as
to everyone else."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jayul.gate import AutonomyLevel, Gate, GateContext, GateOutcome
from jayul.gate.approvals import OPEN, Approval, same_person
from jayul.gate.autonomy import KILL_SCOPE
from jayul.records.events import Action, ActionKind, RiskClass
from jayul.server.auth import (
    CAN_APPROVE,
    CAN_KILL,
    CAN_PROPOSE,
    CAN_SET_AUTONOMY,
    current_session,
    live_state,
    require,
)
from jayul.server.live import AGENT_ORIGIN, MANUAL_ORIGIN, LiveState
from jayul.server.replays import KeyInFlightError, KeyReusedError, proposal_digest
from jayul.server.users import Role, Session

router = APIRouter(prefix="/api", tags=["gate"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Decision(_Body):
    note: str = Field("", max_length=2000, description="why (optional for an approval)")


class Rejection(_Body):
    reason: str = Field(min_length=1, max_length=2000, description="why it is rejected")


class AutonomyChange(_Body):
    level: str = Field(pattern=r"^[Ll]?[0-4]$", description="L0 to L4")
    reason: str = Field(min_length=1, max_length=2000)
    line: str | None = Field(None, max_length=100, description="one line only (default: all)")
    kind: ActionKind | None = Field(None, description="one action class only")


class AutonomyClear(_Body):
    scope: str = Field(min_length=1, max_length=200, description="e.g. line:line1")
    reason: str = Field(min_length=1, max_length=2000)


class KillRequest(_Body):
    reason: str = Field(min_length=1, max_length=2000)


class Proposal(_Body):
    machine: str = Field(min_length=1, max_length=100)
    kind: ActionKind
    params: dict[str, str | float | int] = Field(default_factory=dict)
    expected_effect: str = Field("", max_length=2000)
    risk: RiskClass = RiskClass.LOW
    idempotency_key: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="the same key again (from the same account) returns the first answer, "
        "marked as a replay, and proposes nothing",
    )


def _gate(state: LiveState) -> Gate:
    if state.gate is None:
        raise HTTPException(
            status_code=503, detail="this plant runs without the gate (autonomy off)"
        )
    return state.gate


def approval_json(a: Approval) -> dict[str, Any]:
    return {
        "id": a.id,
        "status": a.status,
        "reason": a.reason,
        "machine": a.action.machine,
        "action": a.action.model_dump(mode="json"),
        "roles": sorted(a.roles),
        "requested_at": a.requested_at,
        "expires_at": a.expires_at,
        "decided_by": a.decided_by,
        "decided_role": a.decided_role,
        "decided_at": a.decided_at,
        "note": a.note,
        "escalations": a.escalations,
        "proposed_by": a.proposed_by,
        "level": a.level.name if a.level is not None else None,
    }


def outcome_json(o: GateOutcome) -> dict[str, Any]:
    return {
        "action_id": o.action_id,
        "status": o.status.value,
        "check": o.check,
        "reason": o.reason,
        "level": o.level.name if o.level is not None else None,
        "approval_id": o.approval_id,
        "exceptions": list(o.exceptions),
    }


@router.get("/approvals", summary="The approval queue (open requests, or all)")
def approvals(
    all: bool = Query(False, description="include decided, expired and executed requests"),
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> list[dict[str, Any]]:
    gate = _gate(state)
    with state.lock:
        items = gate.approvals.requests(None if all else OPEN)
    return [approval_json(a) for a in reversed(items)]


def _second_account(state: LiveState, gate: Gate, approval_id: str, s: Session, now: int) -> None:
    """Four eyes across accounts: refuse an approval from an account the proposer created."""
    try:
        item = gate.approvals.get(approval_id)
    except KeyError as exc:
        raise HTTPException(status_code=404, detail=str(exc).strip("'\"")) from None
    approver = state.users.get(s.user)
    if (
        approver is None
        or not same_person(item.proposed_by, approver.created_by)
        or not gate.approvals.four_eyes.applies(item.action.kind, item.level)
    ):
        return
    state.audit.append(
        now,
        s.user,
        "approval_denied",
        item.action.machine,
        f"four eyes: account {s.user!r} was created by the proposer {approver.created_by!r}",
        {"approval": item.id, "proposed_by": item.proposed_by, "created_by": approver.created_by},
        durable=True,
    )
    raise HTTPException(
        status_code=403,
        detail=f"{s.user} was created by {approver.created_by}, who proposed this action: "
        "another person must decide (four-eyes rule)",
    )


def _decide(state: LiveState, approval_id: str, approve: bool, s: Session, note: str) -> Any:
    gate = _gate(state)
    with state.lock:
        now = state.port.time_ns()
        if approve:
            _second_account(state, gate, approval_id, s, now)
        try:
            if approve:
                out: Any = outcome_json(gate.approve(approval_id, s.user, s.role.value, now, note))
            else:
                out = approval_json(gate.reject(approval_id, s.user, s.role.value, now, note))
        except KeyError as exc:
            raise HTTPException(status_code=404, detail=str(exc).strip("'\"")) from None
        except PermissionError as exc:
            raise HTTPException(status_code=403, detail=str(exc)) from None
        except ValueError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        finally:
            gate.audit.flush()
        state.publish()
    return out


@router.post(
    "/approvals/{approval_id}/approve",
    summary="Approve a request: the gate re-checks the interlock and carries it out",
)
def approve(
    approval_id: str,
    body: Decision,
    state: LiveState = Depends(live_state),
    s: Session = Depends(require(CAN_APPROVE, "decide approval requests")),
) -> dict[str, Any]:
    out: dict[str, Any] = _decide(state, approval_id, True, s, body.note)
    return out


@router.post("/approvals/{approval_id}/reject", summary="Reject a request, with a reason")
def reject(
    approval_id: str,
    body: Rejection,
    state: LiveState = Depends(live_state),
    s: Session = Depends(require(CAN_APPROVE, "decide approval requests")),
) -> dict[str, Any]:
    out: dict[str, Any] = _decide(state, approval_id, False, s, body.reason)
    return out


@router.get("/autonomy", summary="Autonomy settings by scope, and the kill switch")
def autonomy(
    state: LiveState = Depends(live_state), _: Session = Depends(current_session)
) -> dict[str, Any]:
    gate = _gate(state)
    with state.lock:
        gate.autonomy.reload()
        settings = gate.autonomy.settings()
        killed = gate.autonomy.killed
        default = gate.autonomy.default
    return {
        "killed": killed,
        "kill": _setting(settings[KILL_SCOPE]) if killed else None,
        "default": default.name,
        "levels": {lvl.name: lvl.label for lvl in AutonomyLevel},
        "settings": [_setting(v) for k, v in sorted(settings.items()) if k != KILL_SCOPE],
        "lines": state.plant.lines,
        "kinds": [k.value for k in ActionKind],
    }


def _setting(s: Any) -> dict[str, Any]:
    return {
        "scope": s.scope,
        "level": s.level.name,
        "set_by": s.set_by,
        "set_at": s.set_at,
        "reason": s.reason,
    }


@router.put("/autonomy", summary="Set the level of the plant, a line, or an action class")
def set_autonomy(
    body: AutonomyChange,
    state: LiveState = Depends(live_state),
    s: Session = Depends(require(CAN_SET_AUTONOMY, "change autonomy levels")),
) -> dict[str, Any]:
    gate = _gate(state)
    if body.line is not None and body.line not in state.plant.lines:
        raise HTTPException(status_code=404, detail=f"no line {body.line!r} in the plant")
    with state.lock:
        scope = gate.autonomy.set_level(
            AutonomyLevel.parse(body.level),
            s.user,
            state.port.time_ns(),
            body.reason,
            body.line,
            body.kind,
        )
        gate.audit.flush()
    return {"scope": scope, "level": AutonomyLevel.parse(body.level).name}


@router.post("/autonomy/clear", summary="Remove a line or action-class override")
def clear_autonomy(
    body: AutonomyClear,
    state: LiveState = Depends(live_state),
    s: Session = Depends(require(CAN_SET_AUTONOMY, "change autonomy levels")),
) -> dict[str, Any]:
    gate = _gate(state)
    with state.lock:
        if body.scope not in gate.autonomy.settings():
            raise HTTPException(status_code=404, detail=f"no setting for scope {body.scope!r}")
        try:
            gate.autonomy.clear_level(s.user, state.port.time_ns(), body.reason, body.scope)
        except ValueError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        gate.audit.flush()
    return {"scope": body.scope, "cleared": True}


@router.post("/kill", summary="Pull the kill switch: the whole plant drops to L0 at once")
def kill(
    body: KillRequest,
    state: LiveState = Depends(live_state),
    s: Session = Depends(require(CAN_KILL, "pull the kill switch")),
) -> dict[str, Any]:
    gate = _gate(state)
    with state.lock:
        gate.kill(s.user, state.port.time_ns(), body.reason)
        gate.audit.flush()
    return {"killed": True}


@router.post("/kill/clear", summary="Release the kill switch (engineer)")
def clear_kill(
    body: KillRequest,
    state: LiveState = Depends(live_state),
    s: Session = Depends(require(CAN_SET_AUTONOMY, "release the kill switch")),
) -> dict[str, Any]:
    gate = _gate(state)
    with state.lock:
        try:
            gate.autonomy.clear_kill(s.user, s.role.value, state.port.time_ns(), body.reason)
        except PermissionError as exc:
            raise HTTPException(status_code=403, detail=str(exc)) from None
        finally:
            gate.audit.flush()
    return {"killed": False}


@router.post(
    "/actions",
    summary="Propose an action as a person: it passes the gate like any other proposal",
)
def propose(
    body: Proposal,
    state: LiveState = Depends(live_state),
    s: Session = Depends(require(CAN_PROPOSE, "propose actions")),
) -> dict[str, Any]:
    gate = _gate(state)
    if body.machine not in state.machine_ids():
        raise HTTPException(status_code=404, detail=f"no machine {body.machine!r} in the plant")
    agent = s.role is Role.AGENT
    # an agent is its own kind of proposer, under its own origin (and autonomy ceiling)
    proposer = f"agent:{s.user}" if agent else f"user:{s.user}"
    proposal = body.model_dump(mode="json", exclude={"idempotency_key"})
    key, digest = body.idempotency_key, proposal_digest(proposal)
    with state.lock:
        now = state.port.time_ns()
        if key is not None:
            try:
                first = state.proposal_replays.answered(s.user, key, digest)
            except (KeyReusedError, KeyInFlightError) as exc:
                raise HTTPException(status_code=409, detail=str(exc)) from None
            if first is not None:  # a replay costs nothing: no rate, no gate, one record
                state.audit.append(
                    now, proposer, "proposal_replayed", body.machine,
                    f"idempotency key {key!r} answered before", {"proposal": proposal},
                    durable=True,
                )  # fmt: skip
                return {**first, "replay": True}
        if agent and not state.agent_rate.allow(s.user, time.monotonic_ns()):
            why = f"more than {state.agent_rate.max_actions} proposals per minute from {s.user}"
            state.audit.append(
                now, proposer, "agent_rate_limited", body.machine, why,
                {"proposal": proposal}, durable=True,
            )  # fmt: skip
            raise HTTPException(status_code=429, detail=why)
        data = {
            **proposal,
            "time": now,
            "origin": AGENT_ORIGIN if agent else MANUAL_ORIGIN,
        }
        if key is not None:  # verifying lets go of the lock: the key waits for its answer
            state.proposal_replays.begin(s.user, key, digest)
        try:
            answer = outcome_json(_propose(state, gate, data, proposer))
            if key is not None:
                state.proposal_replays.remember(s.user, key, digest, answer)
        finally:
            if key is not None:
                state.proposal_replays.settle(s.user, key)
    return {**answer, "replay": False} if key is not None else answer


def _propose(state: LiveState, gate: Gate, data: dict[str, Any], proposer: str) -> GateOutcome:
    """A proposal through the gate (the caller holds the lock), verified on a twin like the
    autopilot's own when the plant has one: the lock is let go while its futures run."""
    try:
        action = Action.model_validate(data)
    except ValidationError:  # the gate records the malformed proposal and refuses it
        out = gate.propose_raw(data, GateContext(proposer=proposer), data["time"])
    else:
        if state.pilot.gate is gate:
            out = state.pilot.propose_from(action, proposer, state.unlocked)
        else:
            out = gate.propose(action, GateContext(proposer=proposer), data["time"])
    gate.audit.flush()
    state.publish()
    return out
