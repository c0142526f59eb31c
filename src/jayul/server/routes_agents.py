"""What an AI agent asked for: `jayul mcp` records every tool call here, with the agent's
account and the call's arguments, before it makes the call. Only accounts with the role
`agent` write here, so the record is always the agent's own (its proposals are recorded by the
gate besides, and its refused writes by the role checks)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from jayul.server.auth import live_state, require
from jayul.server.live import LiveState
from jayul.server.users import Role, Session

router = APIRouter(prefix="/api", tags=["agents"])

MAX_ARGUMENTS = 4000  # characters of the arguments kept in the audit record


class ToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tool: str = Field(min_length=1, max_length=100, description="the MCP tool called")
    arguments: dict[str, Any] = Field(default_factory=dict, description="as the agent sent them")


@router.post("/agents/calls", summary="Record an agent's tool call in the audit trail (agents)")
def record_call(
    body: ToolCall,
    state: LiveState = Depends(live_state),
    s: Session = Depends(require(frozenset({Role.AGENT}), "record agent tool calls")),
) -> dict[str, Any]:
    text = json.dumps(body.arguments, default=str, ensure_ascii=False)
    cut = len(text) > MAX_ARGUMENTS
    arguments: Any = text[:MAX_ARGUMENTS] if cut else body.arguments
    with state.lock:
        state.audit.append(
            state.port.time_ns(),
            f"agent:{s.user}",
            "agent_call",
            body.tool,
            f"{s.user} called {body.tool}",
            {"arguments": arguments, "truncated": cut, "size": len(text)},
            durable=True,
        )
    return {"recorded": True}
