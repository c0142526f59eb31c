"""Plant events over HTTP: a CMMS, an MES or a person records a failure, a repair or a
maintenance (`POST /api/events`). Engineers and admins may; every recorded event and every
refused one is in the audit trail with the caller's name.

Over connected equipment (`jayul run --port`) the event goes to the running loop: the plant
hands it out at the loop's next tick, where it counts like an event read from the machines
(a maintenance's end restarts the run hours and the health baseline of the modes it restores)
and is stored in the historian with the tick's other events. Over the twin, which takes no
events from outside, it is stored in the historian at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from jayul.autopilot.plant_port import EventFeed
from jayul.connect.events_import import KINDS, make_event, parse_kind
from jayul.records.timebase import to_ns
from jayul.server.auth import live_state, require
from jayul.server.live import LiveState
from jayul.server.users import Role, Session

router = APIRouter(prefix="/api", tags=["events"])
CAN_RECORD_EVENTS = frozenset({Role.ENGINEER, Role.ADMIN})


class EventIn(BaseModel):
    """One plant event as another system reports it."""

    model_config = ConfigDict(extra="forbid")

    time: datetime | int = Field(
        description="When it happened: ISO 8601 (no zone = UTC) or UTC nanoseconds since 1970"
    )
    machine: str = Field(min_length=1, max_length=200, description="The plant file's machine id")
    kind: str = Field(
        min_length=1,
        max_length=100,
        description=f"One of {KINDS}, or a common synonym (breakdown, PM start, repair done)",
    )
    id: str = Field("", max_length=200, description="The other system's id, e.g. a work order")
    mode: str = Field("", max_length=200, description="Failure mode (failures and repairs)")
    action: str = Field("", max_length=200, description="Maintenance action (maintenance)")
    note: str = Field("", max_length=2000, description="Free text, kept as the event's reason")


@router.post("/events", summary="Record a failure, repair or maintenance from another system")
def record_event(
    body: EventIn,
    request: Request,
    state: LiveState = Depends(live_state),
    s: Session = Depends(require(CAN_RECORD_EVENTS, "record plant events")),
) -> dict[str, Any]:
    time_ns = body.time if isinstance(body.time, int) else to_ns(body.time)
    with state.lock:
        try:
            if not 0 <= time_ns < 2**63:
                raise ValueError("time is outside 1970 to 2262 (int64 nanoseconds)")
            event = make_event(
                time_ns,
                body.machine,
                parse_kind(body.kind),
                external_id=body.id,
                mode=body.mode,
                action=body.action,
                note=body.note,
                extra={"source": "api", "by": s.user},
                machines=[m.id for m in state.plant.machines],
            )
        except ValueError as exc:
            state.audit.append(
                state.port.time_ns(),
                s.user,
                "event_rejected",
                body.machine,
                str(exc),
                {"path": request.url.path, "body": body.model_dump(mode="json")},
            )
            state.audit.flush()
            raise HTTPException(status_code=422, detail=str(exc)) from None
        to_loop = isinstance(state.port, EventFeed)
        if state.historian is None and not to_loop:
            raise HTTPException(status_code=503, detail="no historian is attached to this plant")
        if isinstance(state.port, EventFeed):
            state.port.post_event(event)  # stored by the loop's next tick, with its effects
        elif state.historian is not None:
            state.historian.append_events([event])
        state.audit.append(
            state.port.time_ns(),
            s.user,
            "event_recorded",
            event.machine or "",
            f"{event.kind.value} recorded through the API"
            + (" (handed to the running loop)" if to_loop else ""),
            {"event_id": event.id, "time": event.time, "kind": event.kind.value, **event.payload},
        )
        state.audit.flush()
    return {"id": event.id, "time": event.time, "machine": event.machine, "kind": event.kind}
