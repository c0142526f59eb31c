"""HTTP hardening for every response and request: security headers and a body size limit.

A plain ASGI middleware (no per-request thread hop): it refuses a request body over
`max_body` bytes with 413, whether the client announces it (Content-Length) or streams it
(chunked), before any route reads it into memory; and it adds to every response:
- Content-Security-Policy: scripts and everything else only from this server, no framing
  (the interactive API docs at /api/docs load their viewer from a CDN, so they get none);
- X-Frame-Options: DENY, X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer;
- Strict-Transport-Security when the request came over TLS.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY = 1 << 20  # 1 MiB: the largest legitimate body (a proposal, a note) is a few KB
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
_NO_CSP = ("/api/docs", "/api/docs/oauth2-redirect")


class _TooLarge(HTTPException):
    """Raised while a route reads a body past the limit; an HTTPException so that FastAPI's
    body parsing passes it on as a 413 instead of a generic 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class SecurityMiddleware:
    def __init__(self, app: App, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        announced = headers.get(b"content-length")
        if announced is not None:
            try:
                too_big = int(announced) > self.max_body
            except ValueError:
                too_big = True
            if too_big:
                await _refuse(send, self.max_body)
                return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge(self.max_body)
            return message

        tls = scope.get("scheme") == "https"
        with_csp = scope.get("path") not in _NO_CSP

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                extra = [
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                if with_csp:
                    extra.append((b"content-security-policy", CSP.encode()))
                if tls:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = list(message.get("headers") or []) + extra
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _TooLarge:
            if not started:
                await _refuse(send, self.max_body)


async def _refuse(send: Send, limit: int) -> None:
    body = f'{{"detail":"request body larger than {limit} bytes"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-content-type-options", b"nosniff"),
                (b"x-frame-options", b"DENY"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
