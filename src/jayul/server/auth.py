"""Authentication and role checks for the API.

A caller logs in (`POST /api/login`) and gets a session token, sent back either as
`Authorization: Bearer <token>` or as the `jayul_session` cookie (HttpOnly, SameSite=Strict,
so another site cannot ride on it). Every route needs a session; every write names the roles
that may make it, and the refusal of a write is audited with the caller's name.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from jayul.server.live import LiveState
from jayul.server.users import Role, Session

COOKIE = "jayul_session"
bearer = HTTPBearer(auto_error=False, description="the token from POST /api/login")

# Who may write what. Approvals are also checked by the gate against the action's class
# (setpoint changes and machine stops need an engineer); the lists here are the API's own.
CAN_PROPOSE = frozenset({Role.AGENT, Role.OPERATOR, Role.ENGINEER})
CAN_APPROVE = frozenset({Role.OPERATOR, Role.ENGINEER})
CAN_KILL = frozenset({Role.OPERATOR, Role.ENGINEER})
CAN_SET_AUTONOMY = frozenset({Role.ENGINEER})
CAN_MANAGE_USERS = frozenset({Role.ADMIN})


def live_state(request: Request) -> LiveState:
    state: LiveState = request.app.state.live
    return state


def current_session(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> Session:
    """The caller's session, or 401."""
    token = credentials.credentials if credentials is not None else request.cookies.get(COOKIE)
    session = live_state(request).sessions.get(token) if token else None
    if session is None:
        raise HTTPException(
            status_code=401,
            detail="not logged in (POST /api/login)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return session


def require(roles: frozenset[Role], what: str) -> Callable[..., Session]:
    """A dependency that lets only `roles` through; refusals are audited."""

    def check(request: Request, session: Session = Depends(current_session)) -> Session:
        if session.role not in roles:
            state = live_state(request)
            with state.lock:
                state.audit.append(
                    state.port.time_ns(),
                    session.user,
                    "api_denied",
                    request.url.path,
                    f"role {session.role.value} may not {what}",
                    {"method": request.method, "allowed": sorted(r.value for r in roles)},
                )
            raise HTTPException(
                status_code=403,
                detail=f"role {session.role.value!r} may not {what} "
                f"(allowed: {', '.join(sorted(r.value for r in roles))})",
            )
        return session

    return check
