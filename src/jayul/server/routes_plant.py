"""Read-only views of the live plant: machines, signals (recent, history, live stream),
alerts with their explanations, RUL, the plan, KPIs and events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse

from jayul.records import Alert, EventKind
from jayul.records.timebase import NS_PER_H
from jayul.server.auth import current_session, live_state
from jayul.server.live import LiveState
from jayul.server.users import Session

router = APIRouter(prefix="/api", tags=["plant"])
NOT_AVAILABLE_RUL = "no RUL model is attached to the live loop"
NOT_AVAILABLE_PLAN = "no planner is attached to the live loop"
CLOCK_NOTE = (
    "simulated plant time (UTC): every time on this console, in the API and in the audit "
    "trail is on the twin's clock"
)
REAL_CLOCK_NOTE = (
    "plant time (UTC): the clock of the computer running jayul run; samples carry the times "
    "their sources stamped"
)
# What /api/kpis says when the plant keeps no KPI ledger (connected equipment)
NOT_AVAILABLE_KPIS = (
    "OEE, throughput, on-time rate and costs come from the twin's ledger of orders and costs; "
    "over connected equipment jayul run does not compute them (failures, repairs and "
    "maintenance are in the historian's events: Exports, or jayul query events)"
)


def _machine(state: LiveState, machine: str) -> dict[str, Any]:
    for m in state.snapshot.machines:
        if m["id"] == machine:
            return m
    raise HTTPException(status_code=404, detail=f"no machine {machine!r} in the plant")


def alert_json(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id,
        "time": a.time,
        "machine": a.machine,
        "detector": a.detector,
        "score": a.score,
        "threshold": a.threshold,
        "reason": a.reason(),
        "contributions": [c.model_dump() for c in a.contributions],
    }


@router.get("/plant", summary="The plant: name, lines, machines, clock and pace")
def plant(
    state: LiveState = Depends(live_state), _: Session = Depends(current_session)
) -> dict[str, Any]:
    p, snap = state.plant, state.snapshot
    return {
        "name": p.name,
        "lines": p.lines,
        "machines": [{"id": m.id, "type": m.type, "line": m.line} for m in p.machines],
        "now_ns": snap.now_ns,
        "now_h": snap.now_h,
        "speed": state.speed,
        # jayul run over real equipment (it has sources) rather than a twin (simulated time)
        "connected_equipment": state.devices is not None,
        "clock": CLOCK_NOTE if state.devices is None else REAL_CLOCK_NOTE,
        "gate": state.gate is not None,
        "counters": snap.counters,
        "last_error": state.last_error,
    }


@router.get("/machines", summary="Every machine's state, health indicator and RUL at a glance")
def machines(
    state: LiveState = Depends(live_state), _: Session = Depends(current_session)
) -> list[dict[str, Any]]:
    out = []
    for m in state.snapshot.machines:
        out.append({**m, "rul": state.rul(m["id"])})
    return out


@router.get("/machines/{machine}", summary="One machine: state, signals with units, RUL")
def machine(
    machine: str, state: LiveState = Depends(live_state), _: Session = Depends(current_session)
) -> dict[str, Any]:
    m = _machine(state, machine)
    mt = state.plant.machine_type(machine)
    return {
        **m,
        "signals": [
            {"id": s.id, "unit": s.unit, "low": s.low, "high": s.high, "period_s": s.period_s}
            for s in mt.signals
        ],
        "maintenance": [
            {"id": a.id, "restores": a.restores, "duration_h": a.duration_h, "cost": a.cost}
            for a in mt.maintenance
        ],
        "setpoint_units": {sp.id: sp.unit for sp in mt.setpoints},
        "envelopes": {sp.id: sp.envelope.model_dump() for sp in mt.setpoints},
        "score_level": state.tap.score_level(machine),
        "rul": state.rul(machine),
        "rul_note": None if state.rul(machine) else NOT_AVAILABLE_RUL,
    }


@router.get(
    "/machines/{machine}/recent",
    summary="The newest rows of a machine's signals and its anomaly score (from memory)",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def recent(
    machine: str,
    rows: int = Query(600, ge=1, le=7200, description="how many newest rows"),
    since_ns: int | None = Query(None, description="only rows after this time (UTC ns)"),
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> Response:
    ring = state.tap.rings.get(machine)
    if ring is None:
        raise HTTPException(status_code=404, detail=f"no machine {machine!r} in the plant")
    return Response(ring.as_json(rows, since_ns), media_type="application/json")


@router.get(
    "/machines/{machine}/signals/{signal}/history",
    summary="One signal's min, max, mean and count per bucket (from the historian)",
)
def history(
    machine: str,
    signal: str,
    start_ns: int | None = Query(None, description="default: 24 h of plant time ago"),
    end_ns: int | None = Query(None, description="default: now"),
    buckets: int = Query(200, ge=1, le=5000, description="number of buckets over the range"),
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> dict[str, Any]:
    _machine(state, machine)
    if signal not in state.tap.machines[machine].signals:
        raise HTTPException(status_code=404, detail=f"{machine} has no signal {signal!r}")
    if state.historian is None:
        raise HTTPException(status_code=503, detail="no historian is attached")
    end = state.snapshot.now_ns + 1 if end_ns is None else end_ns
    start = end - 24 * NS_PER_H if start_ns is None else start_ns
    if end <= start:
        raise HTTPException(status_code=422, detail="end_ns must be after start_ns")
    bucket_ns = max((end - start) // buckets, 1)
    frame = state.historian.query_buckets(machine, signal, start, end, bucket_ns)
    return {
        "machine": machine,
        "signal": signal,
        "bucket_ns": bucket_ns,
        "bucket": frame["bucket"].astype("int64").tolist(),
        "min": frame["min"].tolist(),
        "max": frame["max"].tolist(),
        "mean": frame["mean"].tolist(),
        "count": frame["count"].astype("int64").tolist(),
    }


@router.get(
    "/machines/{machine}/stream",
    summary="Live rows as server-sent events, one message a second",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(
    machine: str,
    request: Request,
    seconds: float = Query(3600.0, gt=0, le=86400, description="close the stream after this"),
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> StreamingResponse:
    ring = state.tap.rings.get(machine)
    if ring is None:
        raise HTTPException(status_code=404, detail=f"no machine {machine!r} in the plant")

    async def events() -> AsyncIterator[bytes]:
        since: int | None = None
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end and not await request.is_disconnected():
            t, _rows = ring.last(1)
            if since is None or (len(t) and int(t[-1]) > since):
                body = ring.as_json(600 if since is None else 3600, since)
                status = json.dumps(_machine(state, machine), separators=(",", ":"))
                yield b'{"rows":' + body + b',"machine":' + status.encode() + b"}"
                since = int(t[-1]) if len(t) else since
            await asyncio.sleep(1.0)

    async def framed() -> AsyncIterator[bytes]:
        async for chunk in events():
            yield b"data: " + chunk + b"\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(framed(), media_type="text/event-stream", headers=headers)


@router.get("/alerts", summary="Recent alerts with the signals that drove each")
def alerts(
    machine: str | None = Query(None),
    limit: int = Query(100, ge=1, le=500),
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> list[dict[str, Any]]:
    found = [a for a in state.tap.alerts if machine is None or a.machine == machine]
    return [alert_json(a) for a in reversed(found[-limit:])]


@router.get("/rul", summary="RUL distributions per machine, or why they are not available")
def rul(
    state: LiveState = Depends(live_state), _: Session = Depends(current_session)
) -> dict[str, Any]:
    if state.rul_provider is None:
        return {"available": False, "reason": NOT_AVAILABLE_RUL, "machines": {}}
    return {"available": True, "machines": {m: state.rul(m) for m in state.machine_ids()}}


@router.get("/plan", summary="The current plan (operations and maintenance), if a planner runs")
def plan(
    state: LiveState = Depends(live_state), _: Session = Depends(current_session)
) -> dict[str, Any]:
    p = state.plan()
    if p is None:
        return {"available": False, "reason": NOT_AVAILABLE_PLAN}
    start_ns = state.epoch_ns()
    return {
        "available": True,
        "status": p.status,
        "objective": p.objective,
        "epoch_ns": start_ns,
        "operations": [vars(o) for o in p.operations],
        "maintenance": [vars(m) for m in p.maintenance],
        "notes": list(p.notes),
    }


@router.get("/activity", summary="What the twin actually did: operations and maintenance")
def activity(
    hours: float = Query(24.0, gt=0, le=24 * 30, description="how far back, plant hours"),
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> list[dict[str, Any]]:
    if state.historian is None:
        return []
    end = state.snapshot.now_ns + 1
    kinds = [
        EventKind.OPERATION_START,
        EventKind.OPERATION_END,
        EventKind.MAINTENANCE_START,
        EventKind.MAINTENANCE_END,
        EventKind.REPAIR_START,
        EventKind.REPAIR_END,
        EventKind.FAILURE,
    ]
    found = state.historian.query_events(end - int(hours * NS_PER_H), end, kinds=kinds)
    return [
        {"time": e.time, "machine": e.machine, "kind": e.kind.value, "payload": e.payload}
        for e in found[-5000:]
    ]


@router.get("/kpis", summary="The plant's KPIs now and their history since the start")
def kpis(
    state: LiveState = Depends(live_state), _: Session = Depends(current_session)
) -> dict[str, Any]:
    known = bool(state.snapshot.kpis) or state.devices is None
    return {
        "available": known,
        "reason": "" if known else NOT_AVAILABLE_KPIS,
        "now": state.snapshot.kpis,
        "time": state.snapshot.now_ns,
        "history": list(state.kpi_history)[-500:],
    }


@router.get("/events", summary="Stored events (alerts, actions, verdicts, maintenance, ...)")
def events(
    kind: EventKind | None = Query(None),
    machine: str | None = Query(None),
    limit: int = Query(200, ge=1, le=5000),
    days: float = Query(7.0, gt=0, le=366, description="how far back, plant days"),
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> list[dict[str, Any]]:
    if state.historian is None:
        return []
    end = state.snapshot.now_ns + 1
    start = end - int(days * 24 * NS_PER_H)
    found = state.historian.query_events(start, end, machine, [kind] if kind else None)
    return [e.model_dump(mode="json") for e in found[-limit:]]
