"""The history explorer's API: any machine's signals over any range, downsampled in the store
to min, max and mean per bucket, with the derived series (anomaly score, RUL with its
interval) and the plant's events (alerts, failures, maintenance, repairs) on the same axis."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from jayul.historian.explore import downsample, markers
from jayul.records.timebase import NS_PER_H
from jayul.server.auth import current_session, live_state
from jayul.server.derived import DERIVED
from jayul.server.live import LiveState
from jayul.server.users import Session

router = APIRouter(prefix="/api", tags=["explore"])


@router.get(
    "/explore/{machine}",
    summary="Signals downsampled (min, max, mean per bucket) with score, RUL and events",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def explore(
    machine: str,
    signals: str | None = Query(
        None, max_length=2000, description="comma-separated signal ids (default: all)"
    ),
    start_ns: int | None = Query(None, description="default: 7 plant days before end"),
    end_ns: int | None = Query(None, description="default: now"),
    buckets: int = Query(1000, ge=10, le=5000, description="buckets over the range"),
    derived: bool = Query(True, description="also the anomaly score and RUL series"),
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> Response:
    if machine not in state.machine_ids():
        raise HTTPException(status_code=404, detail=f"no machine {machine!r} in the plant")
    if state.historian is None:
        raise HTTPException(status_code=503, detail="no historian is attached")
    known = [s.id for s in state.plant.machine_type(machine).signals]
    wanted = known if not signals else [s.strip() for s in signals.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise HTTPException(
            status_code=404, detail=f"{machine} has no signal {unknown[0]!r} (has {known})"
        )
    end = state.snapshot.now_ns + 1 if end_ns is None else end_ns
    start = end - 7 * 24 * NS_PER_H if start_ns is None else start_ns
    if end <= start:
        raise HTTPException(status_code=422, detail="end_ns must be after start_ns")
    series = [*wanted, *(DERIVED if derived else ())]
    data = downsample(state.historian, machine, series, start, end, buckets).as_json()
    events = markers(state.historian, machine, start, end)
    units = {s.id: s.unit for s in state.plant.machine_type(machine).signals}
    body: dict[str, Any] = {
        "machine": machine,
        **data,
        "units": units,
        "derived": list(DERIVED) if derived else [],
        **events,
        "now_ns": state.snapshot.now_ns,
    }
    # tens of thousands of numbers: json.dumps directly, not FastAPI's per-value encoder
    return Response(json.dumps(body, separators=(",", ":")), media_type="application/json")
