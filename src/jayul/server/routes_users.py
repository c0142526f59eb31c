"""Login, logout, the caller's identity, and user management (admin only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from jayul.server.auth import CAN_MANAGE_USERS, COOKIE, current_session, live_state, require
from jayul.server.live import LiveState
from jayul.server.users import (
    DUMMY_HASH,
    MIN_PASSWORD,
    Role,
    Session,
    User,
    check_password,
)

router = APIRouter(prefix="/api", tags=["users"])


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")
    role: Role
    password: str = Field(min_length=MIN_PASSWORD, max_length=1024)


def user_json(u: User) -> dict[str, Any]:
    return {"name": u.name, "role": u.role.value, "created_at": u.created_at, "by": u.created_by}


@router.post(
    "/login",
    summary="Log in; returns a token and sets the session cookie",
    responses={
        401: {"description": "wrong user name or password"},
        429: {"description": "too many failed logins for this user name; see Retry-After"},
    },
)
def login(
    body: Login, request: Request, response: Response, state: LiveState = Depends(live_state)
) -> dict[str, Any]:
    wait_s = state.login_throttle.retry_after_s(body.username)
    if wait_s > 0:
        # Refused before the password is checked: guesses made now tell nothing.
        with state.lock:
            state.audit.append(
                state.port.time_ns(), body.username, "login_throttled", "console", ""
            )
            state.audit.flush()
        raise HTTPException(
            status_code=429,
            detail=f"too many failed logins for {body.username!r}; "
            f"try again in {int(wait_s) + 1} s",
            headers={"Retry-After": str(int(wait_s) + 1)},
        )
    with state.lock:
        stored = state.users.password_hash(body.username)
    # scrypt takes tens of milliseconds on purpose: not while holding the plant's lock.
    ok = check_password(body.password, stored or DUMMY_HASH) and stored is not None
    with state.lock:
        user = state.users.get(body.username) if ok else None
        if user is None:
            state.login_throttle.failed(body.username)
            state.audit.append(state.port.time_ns(), body.username, "login_failed", "console", "")
            state.audit.flush()
            raise HTTPException(status_code=401, detail="wrong user name or password")
        state.login_throttle.succeeded(user.name)
        state.audit.append(
            state.port.time_ns(), user.name, "login", "console", f"role {user.role.value}"
        )
        state.audit.flush()
    session = state.sessions.open(user)
    response.set_cookie(
        COOKIE,
        session.token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return {"token": session.token, "user": user.name, "role": user.role.value}


@router.post("/logout", summary="End the session")
def logout(
    request: Request, response: Response, session: Session = Depends(current_session)
) -> dict[str, Any]:
    live_state(request).sessions.close(session.token)
    response.delete_cookie(COOKIE)
    return {"logged_out": True}


@router.get("/me", summary="Who is logged in, with which role")
def me(session: Session = Depends(current_session)) -> dict[str, Any]:
    return {"user": session.user, "role": session.role.value}


@router.get("/users", summary="Users and their roles (admin)")
def users(
    state: LiveState = Depends(live_state),
    _: Session = Depends(require(CAN_MANAGE_USERS, "manage users")),
) -> list[dict[str, Any]]:
    with state.lock:
        return [user_json(u) for u in state.users.list()]


@router.post("/users", status_code=201, summary="Add a user (admin)")
def add_user(
    body: NewUser,
    state: LiveState = Depends(live_state),
    s: Session = Depends(require(CAN_MANAGE_USERS, "manage users")),
) -> dict[str, Any]:
    with state.lock:
        try:
            user = state.users.add(
                body.name, body.role, body.password, by=s.user, now=state.port.time_ns()
            )
        except ValueError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
    return user_json(user)


@router.delete("/users/{name}", summary="Remove a user (admin); they are logged out")
def remove_user(
    name: str,
    state: LiveState = Depends(live_state),
    s: Session = Depends(require(CAN_MANAGE_USERS, "manage users")),
) -> dict[str, Any]:
    with state.lock:
        try:
            state.users.remove(name, by=s.user, now=state.port.time_ns())
        except KeyError as exc:
            raise HTTPException(status_code=404, detail=str(exc).strip("'\"")) from None
        except ValueError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
    state.sessions.close_user(name)
    return {"removed": name}
