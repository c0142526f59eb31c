"""The plant's inputs: dead letters (what could not be stored, counted by reason)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query

from jayul.historian.sql_store import SqlHistorian
from jayul.server.auth import current_session, live_state
from jayul.server.live import LiveState
from jayul.server.users import Session

router = APIRouter(prefix="/api", tags=["inputs"])
RAW_PREVIEW = 2000


def _store(state: LiveState) -> SqlHistorian:
    if not isinstance(state.historian, SqlHistorian):
        raise HTTPException(status_code=503, detail="no historian is attached")
    return state.historian


@router.get("/deadletters", summary="Dead letters: counts by reason, then the newest ones")
def deadletters(
    limit: int = Query(50, ge=1, le=1000, description="How many of the newest to list"),
    reason: str | None = Query(None, description="Only reasons containing this text"),
    source: str | None = Query(None, description="Only sources containing this text"),
    state: LiveState = Depends(live_state),
    _: Session = Depends(current_session),
) -> dict[str, Any]:
    store = _store(state)
    counts = store.dead_letter_counts()
    rows = store.dead_letters_numbered(limit, reason=reason, source=source)
    return {
        "total": sum(n for *_, n in counts),
        "by_reason": [{"reason": r, "source": k, "count": n} for r, k, n in counts],
        "letters": [
            {
                "seq": seq,
                "time": d.time_ns,
                "source": d.source,
                "reason": d.reason,
                "raw": d.raw[:RAW_PREVIEW].decode("utf-8", errors="replace"),
                "raw_bytes": len(d.raw),
            }
            for seq, d in rows
        ],
    }
