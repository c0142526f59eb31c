"""Signed MQTT commands: equipment can tell a command jayul's gate let through from a forged one.

A signed command is the JSON object

    {"signed": "<command JSON text>", "alg": "HMAC-SHA256", "kid": "<key id>", "sig": "<hex>"}

where the command JSON text holds ``id, t, action, params, origin`` (as an unsigned command
does) plus ``machine``, ``topic``, ``ts`` (the signing time, integer milliseconds since the
epoch) and ``nonce`` (128 random bits, hex), and ``sig`` is HMAC-SHA256 with the shared key
over the UTF-8 bytes of ``<topic>\\n<command JSON text>``. The exact bytes are signed and sent
as a string, so a verifier in any language needs no canonical re-serialisation; the topic is
covered, so a command for one machine cannot be replayed to another.

A verifier (`CommandVerifier`; docs/connect.md has a stand-alone one) accepts a command when the
signature matches, ``ts`` is within `window_s` of its clock, the topic inside matches the topic
it arrived on, and the nonce was not seen within the window (replay).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections import OrderedDict
from typing import Any

ALG = "HMAC-SHA256"


class CommandRejectedError(ValueError):
    """A command that fails verification; the message says why."""


def _mac(key: bytes, topic: str, text: str) -> str:
    return hmac.new(key, f"{topic}\n{text}".encode(), hashlib.sha256).hexdigest()


def sign_command(
    key: bytes, key_id: str, topic: str, command: dict[str, Any], now_ms: int | None = None
) -> bytes:
    """The signed message (module doc) of `command` for `topic`."""
    body = dict(command)
    body["topic"] = topic
    body["ts"] = int(time.time() * 1000) if now_ms is None else now_ms
    body["nonce"] = secrets.token_hex(16)
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    envelope = {"signed": text, "alg": ALG, "kid": key_id, "sig": _mac(key, topic, text)}
    return json.dumps(envelope).encode()


class CommandVerifier:
    """Checks signed commands (module doc), remembering nonces within the window."""

    def __init__(self, keys: dict[str, bytes], window_s: float = 30.0) -> None:
        self.keys = keys
        self.window_ms = int(window_s * 1000)
        self._seen: OrderedDict[str, int] = OrderedDict()  # nonce -> ts, oldest first

    def verify(self, topic: str, payload: bytes, now_ms: int | None = None) -> dict[str, Any]:
        """The command, or `CommandRejectedError` saying why."""
        now = int(time.time() * 1000) if now_ms is None else now_ms
        try:
            envelope = json.loads(payload.decode("utf-8"))
            text, kid, sig = envelope["signed"], envelope["kid"], envelope["sig"]
        except (ValueError, TypeError, KeyError, RecursionError):
            raise CommandRejectedError("not a signed command") from None
        if envelope.get("alg") != ALG or not isinstance(text, str) or not isinstance(sig, str):
            raise CommandRejectedError("not a signed command")
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise CommandRejectedError(f"unknown key id {kid!r}")
        if not hmac.compare_digest(_mac(key, topic, text), sig):
            raise CommandRejectedError("bad signature")
        body = json.loads(text)
        if body.get("topic") != topic:
            raise CommandRejectedError("signed for another topic")
        ts = body.get("ts")
        if type(ts) is not int or abs(now - ts) > self.window_ms:
            raise CommandRejectedError("outside the time window")
        nonce = body.get("nonce")
        if not isinstance(nonce, str) or nonce in self._seen:
            raise CommandRejectedError("replayed")
        self._seen[nonce] = ts
        while self._seen and next(iter(self._seen.values())) < now - 2 * self.window_ms:
            self._seen.popitem(last=False)
        return dict(body)
