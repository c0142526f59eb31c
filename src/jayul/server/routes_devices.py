"""Device health: per source its connection (connected, stale, disconnected, last seen), per
signal when it last spoke. Served for connected equipment (`jayul run --port`); the simulated
plant has no sources, which the answer says."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from jayul.server.auth import current_session, live_state
from jayul.server.live import LiveState
from jayul.server.users import Session

router = APIRouter(prefix="/api", tags=["inputs"])


@router.get(
    "/devices",
    summary="Device health: each source's connection state and last seen, each signal's",
)
def devices(
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> dict[str, Any]:
    if state.devices is None:
        return {
            "connected_equipment": False,
            "now_ns": state.snapshot.now_ns,
            "sources": [],
            "kinds": {},
            "signals": [],
            "note": "this console serves the simulated plant: it has no sources to watch",
        }
    return {"connected_equipment": True, **state.devices()}
