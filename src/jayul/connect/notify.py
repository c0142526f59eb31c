"""Notifications of alarms: webhooks (JSON, HMAC-signed), e-mail over SMTP and a command hook,
each channel filtered by severity, machine and line, with quiet hours, digests and escalation
of alarms left unacknowledged.

The alarm board calls `Notifier.on_alarm` inside the loop's tick; it only puts a message in
an in-memory outbox and returns, so a slow or dead receiver never holds the loop. One
delivery thread sends what is due, retrying with exponential backoff (1 s doubling to 60 s,
without limit while the process runs): a receiver that restarts loses nothing. Every message
carries an idempotency key (`Idempotency-Key` header, `key` field; the same on every retry),
so a receiver that saw a message before its acknowledgement was lost can drop the repeat.
Failures are counted and the last error kept per channel (`status()`), never raised.

Webhook signature: `X-Jayul-Signature: sha256=<hex HMAC-SHA256 of timestamp + "." + body>`
with the channel's secret and `X-Jayul-Timestamp` (Unix seconds), as Stripe and GitHub sign.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jayul.alarms.model import Alarm, AlarmState, Severity

SEVERITIES = [s.value for s in Severity]


class Channel(BaseModel):
    """Where and when to notify (a file's `channels:` list)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100)
    kind: Literal["webhook", "email", "command"]
    url: str | None = None  # webhook
    secret: str = ""  # webhook HMAC key
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    sender: str = "jayul@localhost"
    to: list[str] = Field(default_factory=list)  # email
    command: list[str] = Field(default_factory=list)  # command: argv, the message on stdin
    min_severity: Literal["low", "medium", "high", "critical"] = "medium"
    machines: list[str] = Field(default_factory=list)  # empty: every machine
    lines: list[str] = Field(default_factory=list)  # empty: every line
    quiet_hours: tuple[int, int] | None = None  # [start, end) hours, UTC; critical still goes
    digest_s: float = Field(0.0, ge=0)  # >0: gather messages and send one every this long
    escalate_after_s: float = Field(0.0, ge=0)  # >0: notify again if still unacknowledged
    timeout_s: float = Field(10.0, gt=0)

    def wants(self, alarm: Alarm, line: str | None) -> bool:
        if SEVERITIES.index(alarm.severity.value) < SEVERITIES.index(self.min_severity):
            return False
        if self.machines and alarm.machine not in self.machines:
            return False
        return not (self.lines and line not in self.lines)

    def quiet(self, wall: float) -> bool:
        if self.quiet_hours is None:
            return False
        a, b = self.quiet_hours
        h = datetime.fromtimestamp(wall, UTC).hour
        return a <= h < b if a <= b else h >= a or h < b


class NotifyFileError(ValueError):
    pass


def load_channels(text: str, where: str = "notifications file") -> list[Channel]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise NotifyFileError(f"{where}: not YAML ({exc})") from None
    items = data.get("channels", []) if isinstance(data, dict) else data
    out = []
    for k, item in enumerate(items if isinstance(items, list) else []):
        try:
            out.append(Channel.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            at = ".".join(str(p) for p in first["loc"])
            raise NotifyFileError(f"{where}: channel #{k + 1}, {at}: {first['msg']}") from None
    return out


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass
class Message:
    key: str  # idempotency key: the same on every retry
    channel: str
    body: dict[str, Any]
    due: float = 0.0
    attempts: int = 0


@dataclass
class ChannelStatus:
    sent: int = 0
    failed_attempts: int = 0
    last_error: str = ""
    pending: int = 0
    held: int = 0  # in quiet hours or a digest
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=50))


def alarm_message(alarm: Alarm, event: str) -> dict[str, Any]:
    return {
        "event": event,  # raised, escalated, severity
        "alarm": alarm.id,
        "machine": alarm.machine,
        "severity": alarm.severity.value,
        "state": alarm.state.value,
        "message": alarm.message,
        "mode": alarm.mode,
        "count": alarm.count,
        "first_ns": alarm.first_ns,
        "last_ns": alarm.last_ns,
    }


class Notifier:
    """Outbox, delivery thread and per-channel status; `on_alarm` is the board's listener."""

    def __init__(
        self,
        channels: list[Channel],
        lines: dict[str, str] | None = None,
        clock: Any = time.time,
    ) -> None:
        self.channels = {c.id: c for c in channels}
        self.lines = lines or {}  # machine -> line
        self.clock = clock
        self.status = {c.id: ChannelStatus() for c in channels}
        self._outbox: deque[Message] = deque()
        self._held: dict[str, list[Message]] = {c.id: [] for c in channels}
        self._digest_at = {c.id: 0.0 for c in channels}
        self._watch: dict[tuple[str, str], tuple[float, Alarm]] = {}  # escalation timers
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the loop's side: put and return --------------------------------------------------

    def on_alarm(self, alarm: Alarm, what: str) -> None:
        if what != "raised":
            # one physical problem, one notification: repeats count on the alarm, and an
            # escalation (checked against the alarm's state when due) covers the rest
            return
        now = self.clock()
        line = self.lines.get(alarm.machine)
        with self._lock:
            for c in self.channels.values():
                if not c.wants(alarm, line):
                    continue
                self._put(
                    c,
                    Message(f"{alarm.id}:raised:{c.id}", c.id, alarm_message(alarm, "raised")),
                    now,
                )
                if c.escalate_after_s > 0:
                    self._watch[(c.id, alarm.id)] = (now + c.escalate_after_s, alarm)
        self._wake.set()

    def _put(self, c: Channel, msg: Message, now: float) -> None:
        critical = msg.body.get("severity") == "critical"
        if (c.quiet(now) and not critical) or c.digest_s > 0:
            self._held[c.id].append(msg)
            self.status[c.id].held += 1
            return
        msg.due = now
        self._outbox.append(msg)
        self.status[c.id].pending += 1

    # -- the delivery thread ------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="jayul-notify", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self.pump()
            self._wake.wait(0.2)
            self._wake.clear()

    def pump(self) -> None:
        """Release held messages whose time came, escalate, send what is due (one pass)."""
        now = self.clock()
        with self._lock:
            self._release(now)
            self._escalate(now)
            due = [m for m in self._outbox if m.due <= now]
        for msg in due:
            ok, error = self._deliver(self.channels[msg.channel], msg)
            st = self.status[msg.channel]
            with self._lock:
                if ok:
                    self._outbox.remove(msg)
                    st.sent += 1
                    st.pending -= 1
                    st.recent.append({"key": msg.key, "attempts": msg.attempts + 1, "at": now})
                else:
                    msg.attempts += 1
                    st.failed_attempts += 1
                    st.last_error = error
                    msg.due = self.clock() + min(2.0 ** (msg.attempts - 1), 60.0)

    def _release(self, now: float) -> None:
        for cid, held in self._held.items():
            c = self.channels[cid]
            if not held or c.quiet(now):
                continue
            if c.digest_s > 0:
                if now < self._digest_at[cid]:
                    continue
                self._digest_at[cid] = now + c.digest_s
                keys = sorted(m.key for m in held)
                digest = hashlib.sha256("|".join(keys).encode()).hexdigest()[:16]
                body = {"event": "digest", "count": len(held), "alarms": [m.body for m in held]}
                self._outbox.append(Message(f"digest:{digest}:{cid}", cid, body, now))
            else:
                for m in held:
                    m.due = now
                    self._outbox.append(m)
            self.status[cid].pending += 1 if c.digest_s > 0 else len(held)
            self.status[cid].held -= len(held)
            held.clear()

    def _escalate(self, now: float) -> None:
        for (cid, aid), (at, alarm) in list(self._watch.items()):
            if now < at:
                continue
            del self._watch[(cid, aid)]
            if alarm.state is AlarmState.ACTIVE:  # nobody acknowledged, shelved or cleared it
                body = alarm_message(alarm, "escalated")
                msg = Message(f"{aid}:escalated:{cid}", cid, body, now)
                self._outbox.append(msg)
                self.status[cid].pending += 1

    def _deliver(self, c: Channel, msg: Message) -> tuple[bool, str]:
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

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"channel": cid, "kind": self.channels[cid].kind, "sent": st.sent,
                 "pending": st.pending, "held": st.held, "failed_attempts": st.failed_attempts,
                 "last_error": st.last_error, "recent": list(st.recent)[-10:]}
                for cid, st in self.status.items()
            ]  # fmt: skip
