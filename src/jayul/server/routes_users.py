"""Login, logout, the caller's identity, and user management (admin only)."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from jayul.server.auth import CAN_MANAGE_USERS, COOKIE, current_session, live_state, require
from jayul.server.live import LiveState
from jayul.server.throttle import LoginThrottle
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
    client = client_address(request)
    keys = ((state.login_throttle, f"{client}|{body.username}"), (state.client_throttle, client))
    reserved: list[tuple[LoginThrottle, str]] = []
    for throttle, key in keys:
        wait_s = throttle.begin(key)
        if wait_s > 0:
            for t, k in reserved:  # give back what was reserved: nothing was tried
                t.cancel(k)
            # Refused before the password is checked: guesses made now tell nothing.
            raise HTTPException(
                status_code=429,
                detail=f"too many failed logins from {client}; try again in {int(wait_s) + 1} s",
                headers={"Retry-After": str(int(wait_s) + 1)},
            )
        reserved.append((throttle, key))
    with state.lock:
        stored = state.users.password_hash(body.username)
    # scrypt takes tens of milliseconds on purpose: not while holding the plant's lock.
    ok = check_password(body.password, stored or DUMMY_HASH) and stored is not None
    with state.lock:
        user = state.users.get(body.username) if ok else None
    if user is not None:
        # a success clears this account's failures from this client; the client's own
        # count stays (logging in to one's own account must not reset a spraying count)
        state.login_throttle.end(keys[0][1], ok=True)
        state.client_throttle.cancel(client)
    limits = [] if user is not None else [t.end(k, ok=False) for t, k in keys]
    if user is None:
        if any(limits):  # one record when a client reaches a limit, not one per failure
            with state.lock:
                state.audit.append(
                    state.port.time_ns(),
                    body.username,
                    "login_throttled",
                    "console",
                    f"{state.login_throttle.max_failures} failed logins from {client}",
                    {"client": client, "failures_total": state.login_throttle.failures_total},
                )
        raise HTTPException(status_code=401, detail="wrong user name or password")
    with state.lock:
        state.audit.append(
            state.port.time_ns(), user.name, "login", "console", f"role {user.role.value}"
        )
    session = state.sessions.open(user)
    response.set_cookie(
        COOKIE,
        session.token,
        httponly=True,
        samesite="strict",
        secure=secure_cookies() or request.url.scheme == "https",
        max_age=int(state.sessions.max_age_s),
    )
    return {"token": session.token, "user": user.name, "role": user.role.value}


def secure_cookies() -> bool:
    """`JAYUL_SECURE_COOKIES=1` (or `jayul serve --secure-cookies`): behind a TLS proxy the
    server sees plain HTTP, so it cannot tell by itself that the cookie must be Secure."""
    return os.environ.get("JAYUL_SECURE_COOKIES", "") not in ("", "0", "false", "no")


def client_address(request: Request) -> str:
    """The caller's address; behind a proxy listed in `JAYUL_TRUSTED_PROXIES` (comma-separated
    addresses), the last address that proxy put in X-Forwarded-For."""
    peer = request.client.host if request.client else "unknown"
    trusted = {p.strip() for p in os.environ.get("JAYUL_TRUSTED_PROXIES", "").split(",")}
    forwarded = request.headers.get("x-forwarded-for")
    if peer in trusted and forwarded:
        return forwarded.split(",")[-1].strip() or peer
    return peer


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
