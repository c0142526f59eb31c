"""Sending one notification through its channel: a signed webhook POST, an e-mail over SMTP,
or a command with the message on stdin. Each returns (accepted, error) and never raises, so
the delivery thread goes on whatever a receiver does.

Webhook signature: `X-Jayul-Signature: sha256=<hex HMAC-SHA256 of timestamp + "." + body>`
with the channel's secret and `X-Jayul-Timestamp` (Unix seconds), as Stripe and GitHub sign.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import subprocess
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jayul.connect.notify import Channel
    from jayul.connect.notify_outbox import Message


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def deliver(c: Channel, msg: Message) -> tuple[bool, str]:
    """Send `msg` through `c`: (True, "") when the receiver accepted it."""
    body = json.dumps({**msg.body, "key": msg.key}, separators=(",", ":")).encode()
    try:
        if c.kind == "webhook":
            stamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", "Idempotency-Key": msg.key,
                       "X-Jayul-Timestamp": stamp}  # fmt: skip
            if c.secret:
                headers["X-Jayul-Signature"] = sign(c.secret, stamp, body)
            req = urllib.request.Request(c.url or "", body, headers, method="POST")
            with urllib.request.urlopen(req, timeout=c.timeout_s) as r:
                if r.status >= 300:
                    return False, f"HTTP {r.status}"
        elif c.kind == "email":
            mail = EmailMessage()
            mail["From"], mail["To"] = c.sender, ", ".join(c.to)
            what = msg.body.get("event", "alarm")
            mail["Subject"] = (
                f"[jayul] {what}: {msg.body.get('machine', '')} {msg.body.get('message', '')}"
                if what != "digest"
                else f"[jayul] digest: {msg.body['count']} alarms"
            )[:200]
            # the idempotency key as Message-ID: mail systems can drop a repeated delivery
            mail["Message-ID"] = f"<{msg.key.replace(':', '.')}@jayul>"
            mail.set_content(json.dumps(msg.body, indent=2))
            with smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=c.timeout_s) as smtp:
                smtp.send_message(mail)
        else:
            done = subprocess.run(c.command, input=body, capture_output=True,
                                  timeout=c.timeout_s, check=False)  # fmt: skip
            if done.returncode != 0:
                return False, f"exit {done.returncode}: {done.stderr.decode()[-200:]}"
    except (OSError, urllib.error.URLError, smtplib.SMTPException,
            subprocess.TimeoutExpired) as exc:  # fmt: skip
        return False, f"{type(exc).__name__}: {exc}"
    return True, ""
