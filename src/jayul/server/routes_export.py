"""Exports over HTTP: samples, events, alerts and the audit trail as CSV or Parquet, streamed
for any range (a year of samples never sits in memory)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse

from jayul.historian.export import (
    alert_frames,
    audit_frames,
    encode,
    event_frames,
    sample_frames,
)
from jayul.records import EventKind
from jayul.records.timebase import NS_PER_H
from jayul.server.auth import current_session, live_state
from jayul.server.live import LiveState
from jayul.server.users import Session

router = APIRouter(prefix="/api", tags=["export"])
MEDIA = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def _audit_fetch(state: LiveState) -> Any:
    def fetch(start: int, end: int, after: int, limit: int) -> list[tuple[Any, ...]]:
        with state.lock:
            state.audit.flush()
            rows: list[tuple[Any, ...]] = state.con.execute(
                "SELECT seq, time, actor, kind, subject, reason, payload, prev, hash "
                "FROM audit_log WHERE time >= ? AND time < ? AND seq > ? ORDER BY seq LIMIT ?",
                [start, end, after, limit],
            ).fetchall()
        return rows

    return fetch


@router.get(
    "/export/{what}",
    summary="Samples, events, alerts or the audit trail as CSV or Parquet, streamed",
    response_class=StreamingResponse,
    responses={200: {"content": {MEDIA["csv"]: {}, MEDIA["parquet"]: {}}}},
)
def export(
    what: Literal["samples", "events", "alerts", "audit"],
    format: Literal["csv", "parquet"] = Query("csv"),
    start_ns: int | None = Query(None, description="default: 24 plant hours before end"),
    end_ns: int | None = Query(None, description="default: now"),
    machine: str | None = Query(None, max_length=100, description="one machine (default: all)"),
    kind: EventKind | None = Query(None, description="events: one kind only"),
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> StreamingResponse:
    end = state.snapshot.now_ns + 1 if end_ns is None else end_ns
    start = end - 24 * NS_PER_H if start_ns is None else start_ns
    if end <= start:
        raise HTTPException(status_code=422, detail="end_ns must be after start_ns")
    if machine is not None and machine not in state.machine_ids():
        raise HTTPException(status_code=404, detail=f"no machine {machine!r} in the plant")
    historian = state.historian
    if historian is None and what != "audit":
        raise HTTPException(status_code=503, detail="no historian is attached")
    frames: Iterator[pd.DataFrame]
    if what == "samples":
        assert historian is not None
        frames = sample_frames(historian, [machine] if machine else state.machine_ids(), start, end)
    elif what == "events":
        assert historian is not None
        frames = event_frames(historian, start, end, machine, [kind] if kind else None)
    elif what == "alerts":
        assert historian is not None
        frames = alert_frames(historian, start, end, machine)
    else:
        frames = audit_frames(_audit_fetch(state), start, end)
    name = f"jayul-{what}-{start}-{end}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(
        encode(what, format, frames), media_type=MEDIA[format], headers=headers
    )
