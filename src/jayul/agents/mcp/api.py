"""The jayul HTTP API as `jayul mcp` uses it: logged in with an agent's account.

The MCP server holds no plant, gate or database of its own: every read and every proposal is a
call to the API of a running plant (`jayul serve`), with the agent's session token, so the
API's role checks, the verifier, the gate, the approval queue and the audit trail apply to an
agent exactly as to a person. The account must have the role `agent`; `connect` refuses any
other, so an MCP client never holds more than an agent may do.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx2


class ApiError(Exception):
    """The API refused a call: its HTTP status and what it said."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


def segment(value: str) -> str:
    """One URL path segment: an agent's machine id can never climb to another route."""
    return quote(value, safe="")


class PlantApi:
    """A logged-in session on a jayul plant's API."""

    def __init__(self, client: httpx2.Client, token: str, user: str) -> None:
        self.client = client
        self.user = user
        self._headers = {"Authorization": f"Bearer {token}"}

    @classmethod
    def connect(cls, client: httpx2.Client, user: str, password: str) -> PlantApi:
        """Log in as `user`; ApiError unless the account exists and has the role `agent`."""
        r = client.post("/api/login", json={"username": user, "password": password})
        body = _json(r)
        if r.status_code != 200:
            raise ApiError(r.status_code, _detail(body, r.text))
        if body.get("role") != "agent":
            raise ApiError(
                403,
                f"{user} has the role {body.get('role')!r}; `jayul mcp` serves only accounts "
                "with the role 'agent' (jayul users add NAME --role agent)",
            )
        return cls(client, str(body["token"]), user)

    def session_of(self, token: str) -> dict[str, Any] | None:
        """Who a session token of the plant's API belongs to (`user`, `role`), or None when
        the plant does not know it (never issued, expired, logged out)."""
        r = self.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        body = _json(r)
        return body if r.status_code == 200 and isinstance(body, dict) else None

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        return self._answer(self.client.get(path, params=clean, headers=self._headers))

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._answer(self.client.post(path, json=body, headers=self._headers))

    def _answer(self, r: httpx2.Response) -> Any:
        body = _json(r)
        if r.status_code >= 400:
            raise ApiError(r.status_code, _detail(body, r.text))
        return body


def _json(r: httpx2.Response) -> Any:
    try:
        return r.json()
    except ValueError:
        return {}


def _detail(body: Any, text: str) -> str:
    if isinstance(body, dict) and "detail" in body:
        detail = body["detail"]
        return detail if isinstance(detail, str) else str(detail)[:500]
    return text[:500]
