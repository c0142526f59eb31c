"""Alarms over HTTP: the open alarms and their history, people's transitions (acknowledge,
shelve, unshelve, clear, assign, comment), and alarm rules as data (import and export as a
file). Every write needs an operator or engineer (rules: an engineer; an agent may comment) and
is audited with the person's name; a refused transition answers 409 with the reason."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from jayul.alarms import AlarmError, AlarmState, RuleFileError, dump_rules, load_rules
from jayul.alarms.rules import check_rule
from jayul.plant.model import AlarmRule
from jayul.records.timebase import NS_PER_H
from jayul.server.auth import current_session, live_state, require
from jayul.server.live import LiveState
from jayul.server.users import Role, Session

router = APIRouter(prefix="/api", tags=["alarms"])
CAN_HANDLE_ALARMS = frozenset({Role.OPERATOR, Role.ENGINEER})
# an AI agent may add a comment (data a person reads), never acknowledge, shelve, clear or assign
CAN_COMMENT = CAN_HANDLE_ALARMS | {Role.AGENT}
CAN_EDIT_RULES = frozenset({Role.ENGINEER})


class AlarmAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=2000, description="acknowledge: an optional note")
    reason: str = Field("", max_length=2000, description="shelve, clear: why (required)")
    hours: float | None = Field(
        None, gt=0, le=24 * 30, description="shelve: for how many plant hours"
    )
    owner: str | None = Field(None, max_length=100, description="assign: who owns it (or none)")
    text: str = Field("", max_length=4000, description="comment: the text")


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=200_000, description="the rules as YAML or JSON")


@router.get("/alarms", summary="Alarms: open ones from memory, or all from the store")
def alarms(
    state_: AlarmState | None = Query(None, alias="state"),
    machine: str | None = Query(None, max_length=100),
    include_cleared: bool = Query(False, description="also cleared alarms (from the store)"),
    limit: int = Query(200, ge=1, le=5000),
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> dict[str, Any]:
    feed = state.alarms
    with state.lock:
        if include_cleared and feed.store is not None:
            feed.board.flush()
            found = feed.store.query([state_] if state_ else None, machine, limit=limit)
        else:
            found = [
                a
                for a in feed.board.alarms()
                if (state_ is None or a.state is state_)
                and (machine is None or a.machine == machine)
            ][:limit]
        counts = {s.value: 0 for s in AlarmState}
        for a in feed.board.alarms():
            counts[a.state.value] += 1
    return {
        "counts": counts,
        "alarms": [a.as_json() for a in found],
        "now_ns": state.snapshot.now_ns,
    }


@router.get("/alarms/{alarm_id}", summary="One alarm with its history and links")
def alarm(
    alarm_id: str, state: LiveState = Depends(live_state), _: Session = Depends(current_session)
) -> dict[str, Any]:
    with state.lock:
        try:
            return state.alarms.board.get(alarm_id).as_json()
        except KeyError:
            raise HTTPException(status_code=404, detail=f"no alarm {alarm_id!r}") from None


@router.post(
    "/alarms/{alarm_id}/{action}",
    summary="Acknowledge, shelve, unshelve, clear, assign or comment on an alarm",
)
def act(
    alarm_id: str,
    action: Literal["acknowledge", "shelve", "unshelve", "clear", "assign", "comment"],
    body: AlarmAction,
    state: LiveState = Depends(live_state),
    session: Session = Depends(require(CAN_COMMENT, "act on alarms")),
) -> dict[str, Any]:
    agent = session.role not in CAN_HANDLE_ALARMS
    with state.lock:
        now = state.port.time_ns()
        if agent and action != "comment":
            why = f"role {session.role.value} may only comment on alarms, not {action}"
            state.audit.append(now, session.user, "api_denied", alarm_id, why, {"action": action})
            raise HTTPException(status_code=403, detail=why)
        actor = f"agent:{session.user}" if agent else f"user:{session.user}"
        kw: dict[str, Any] = body.model_dump()
        if action == "shelve":
            if body.hours is None:
                raise HTTPException(status_code=422, detail="shelve needs `hours`")
            kw["until"] = now + int(body.hours * NS_PER_H)
        try:
            done = state.alarms.board.act(alarm_id, actor, now, action, **kw)
        except KeyError:
            raise HTTPException(status_code=404, detail=f"no alarm {alarm_id!r}") from None
        except AlarmError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        return done.as_json()


def _all_rules(state: LiveState) -> list[AlarmRule]:
    return list(state.alarms.rules.rules.values())


@router.get(
    "/alarm-rules", summary="Alarm rules (threshold, rate, no data); ?format=yaml|json: a file"
)
def rules(
    format: Literal["list", "yaml", "json"] = Query("list"),
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> Any:
    with state.lock:
        found = _all_rules(state)
        declared = state.alarms.declared
    if format == "list":
        return [{**r.model_dump(mode="json"), "from_plant_file": r.id in declared} for r in found]
    media = "application/yaml" if format == "yaml" else "application/json"
    headers = {"Content-Disposition": f'attachment; filename="alarm-rules.{format}"'}
    return Response(dump_rules(found, format), media_type=media, headers=headers)


def _put(state: LiveState, rule: AlarmRule, who: str) -> None:
    if rule.id in state.alarms.declared:
        raise HTTPException(
            status_code=409, detail=f"rule {rule.id!r} is declared in the plant file; edit it there"
        )
    try:
        state.alarms.rules.put(rule)
    except RuleFileError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    if state.alarms.store is not None:
        state.alarms.store.put_rule(rule)
    state.audit.append(
        state.port.time_ns(),
        who,
        "alarm_rule_set",
        rule.id,
        rule.kind,
        rule.model_dump(mode="json"),
    )


@router.post("/alarm-rules", status_code=201, summary="Add or replace one alarm rule")
def put_rule(
    rule: AlarmRule,
    state: LiveState = Depends(live_state),
    session: Session = Depends(require(CAN_EDIT_RULES, "edit alarm rules")),
) -> dict[str, Any]:
    with state.lock:
        _put(state, rule, f"user:{session.user}")
    return rule.model_dump(mode="json")


@router.post("/alarm-rules/import", summary="Import rules from a YAML or JSON file's text")
def import_rules(
    body: RulesFile,
    state: LiveState = Depends(live_state),
    session: Session = Depends(require(CAN_EDIT_RULES, "edit alarm rules")),
) -> dict[str, Any]:
    try:
        found = load_rules(body.text, "the imported file")
    except RuleFileError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    with state.lock:
        for rule in found:  # check them all before keeping any
            if rule.id in state.alarms.declared:
                raise HTTPException(
                    status_code=409, detail=f"rule {rule.id!r} is declared in the plant file"
                )
            try:
                check_rule(rule, state.plant)
            except RuleFileError as exc:
                raise HTTPException(status_code=422, detail=str(exc)) from None
        for rule in found:
            _put(state, rule, f"user:{session.user}")
    return {"imported": [r.id for r in found]}


@router.delete("/alarm-rules/{rule_id}", summary="Remove an alarm rule added through the API")
def remove_rule(
    rule_id: str,
    request: Request,
    state: LiveState = Depends(live_state),
    session: Session = Depends(require(CAN_EDIT_RULES, "edit alarm rules")),
) -> dict[str, str]:
    with state.lock:
        if rule_id in state.alarms.declared:
            raise HTTPException(status_code=409, detail=f"rule {rule_id!r} is in the plant file")
        if not state.alarms.rules.remove(rule_id):
            raise HTTPException(status_code=404, detail=f"no alarm rule {rule_id!r}")
        if state.alarms.store is not None:
            state.alarms.store.remove_rule(rule_id)
        state.audit.append(
            state.port.time_ns(), f"user:{session.user}", "alarm_rule_removed", rule_id
        )
    return {"removed": rule_id}
