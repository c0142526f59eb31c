"""Notifications of alarms: webhooks (JSON, HMAC-signed), e-mail over SMTP and a command hook,
each channel filtered by severity, machine and line, with quiet hours, digests and escalation
of alarms left unacknowledged.

The alarm board calls `Notifier.on_alarm` inside the loop's tick; it only adds a row to the
outbox (`notify_outbox.py`: a table in the historian's database, so what is queued survives a
restart) and returns, so a slow or dead receiver never holds the loop. One delivery thread
sends what is due, retrying with exponential backoff (1 s doubling to 60 s) until the
receiver accepts it or the channel's `give_up_after_s` passes (then the message is `failed`,
shown with its last error). Every message carries an idempotency key (`Idempotency-Key`
header, `key` field, e-mail `Message-ID`; the same on every retry and after a restart), so a
receiver that saw a message before its acknowledgement was lost can drop the repeat.
Failures are counted and the last error kept per channel (`snapshot()`), never raised.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jayul.alarms.model import Alarm, AlarmState, Severity
from jayul.connect.notify_outbox import Message, NotifyOutbox
from jayul.connect.notify_send import deliver

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
    give_up_after_s: float = Field(86400.0, ge=0)  # stop retrying a message; 0: never

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


@dataclass
class ChannelStatus:
    sent: int = 0  # these four are the outbox's counts, refreshed at each pump
    pending: int = 0
    held: int = 0  # in quiet hours or a digest
    failed: int = 0  # given up after `give_up_after_s`
    failed_attempts: int = 0  # in this process
    last_error: str = ""
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
    """Outbox, delivery thread and per-channel status; `on_alarm` is the board's listener.

    `outbox`: where messages wait (the historian's database for a restart to keep them; an
    in-memory one by default). `lookup`: an alarm by id, to check at escalation time whether
    it is still active (the live board's; alarms seen in this process otherwise)."""

    def __init__(
        self,
        channels: list[Channel],
        lines: dict[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        outbox: NotifyOutbox | None = None,
        lookup: Callable[[str], Alarm | None] | None = None,
    ) -> None:
        self.channels = {c.id: c for c in channels}
        self.lines = lines or {}  # machine -> line
        self.clock = clock
        self.outbox = outbox if outbox is not None else NotifyOutbox()
        self.lookup = lookup
        self.status = {c.id: ChannelStatus() for c in channels}
        self._watched: dict[str, Alarm] = {}  # watch key -> its alarm, in this process
        self._digest_at = {c.id: 0.0 for c in channels}
        self._pruned_at = 0.0
        self._lock = threading.Lock()  # one pump at a time (the thread, or a caller's)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refresh()

    # -- the loop's side: put and return --------------------------------------------------

    def on_alarm(self, alarm: Alarm, what: str) -> None:
        if what != "raised":
            # one physical problem, one notification: repeats count on the alarm, and an
            # escalation (checked against the alarm's state when due) covers the rest
            return
        now = self.clock()
        line = self.lines.get(alarm.machine)
        for c in self.channels.values():
            if not c.wants(alarm, line):
                continue
            body = alarm_message(alarm, "raised")
            held = (c.quiet(now) and body["severity"] != "critical") or c.digest_s > 0
            msg = Message(f"{alarm.id}:raised:{c.id}", c.id, body, due=now, created=now)
            self.outbox.put(msg, "held" if held else "pending")
            if c.escalate_after_s > 0:
                at = now + c.escalate_after_s
                watch = Message(f"{alarm.id}:watch:{c.id}", c.id, body, due=at, created=now)
                self._watched[watch.key] = alarm
                self.outbox.put(watch, "watch")
        self._refresh()
        self._wake.set()

    def catch_up(self, alarms: list[Alarm]) -> None:
        """Alarms raised before this notifier listened (the warm-up, the last run): queue
        those nobody acknowledged yet. One already queued or sent has its key in the outbox,
        so it is not sent again."""
        for alarm in alarms:
            if alarm.state is AlarmState.ACTIVE:
                self.on_alarm(alarm, "raised")

    # -- the delivery thread ------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
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
            try:
                self.pump()
            except Exception as exc:  # the database went away: say so, try again later
                for st in self.status.values():
                    st.last_error = f"outbox: {type(exc).__name__}: {exc}"
                self._stop.wait(5.0)
            self._wake.wait(0.2)
            self._wake.clear()

    def pump(self) -> None:
        """Release held messages whose time came, escalate, send what is due (one pass)."""
        with self._lock:
            now = self.clock()
            self._release(now)
            self._escalate(now)
            for msg in self.outbox.due("pending", now, list(self.channels)):
                self._send(self.channels[msg.channel], msg)
            if now - self._pruned_at > 3600:
                self.outbox.prune(now)
                self._pruned_at = now
            self._refresh()

    def _send(self, c: Channel, msg: Message) -> None:
        ok, error = self._deliver(c, msg)
        st = self.status[c.id]
        now = self.clock()
        if ok:
            self.outbox.move([msg.key], "sent", now, attempts=msg.attempts + 1)
            st.recent.append({"key": msg.key, "attempts": msg.attempts + 1, "at": now})
            return
        attempts = msg.attempts + 1
        st.failed_attempts += 1
        st.last_error = error
        if c.give_up_after_s > 0 and now - msg.created >= c.give_up_after_s:
            self.outbox.move([msg.key], "failed", now, attempts=attempts, error=error)
        else:
            due = now + min(2.0 ** (attempts - 1), 60.0)
            self.outbox.move([msg.key], "pending", now, attempts=attempts, due=due, error=error)

    def _deliver(self, c: Channel, msg: Message) -> tuple[bool, str]:
        return deliver(c, msg)

    def _release(self, now: float) -> None:
        for cid, c in self.channels.items():
            if c.quiet(now):
                continue
            if c.digest_s > 0 and now < self._digest_at[cid]:
                continue
            held = self.outbox.held(cid)
            if not held:
                continue
            keys = sorted(m.key for m in held)
            if c.digest_s > 0:
                self._digest_at[cid] = now + c.digest_s
                # the key from the held keys: built again after a crash, it is the same row
                digest = hashlib.sha256("|".join(keys).encode()).hexdigest()[:16]
                body = {"event": "digest", "count": len(held), "alarms": [m.body for m in held]}
                msg = Message(f"digest:{digest}:{cid}", cid, body, due=now, created=now)
                self.outbox.put(msg, "pending")
                self.outbox.move(keys, "digested", now)
            else:
                self.outbox.move(keys, "pending", now, due=now)

    def _escalate(self, now: float) -> None:
        for watch in self.outbox.due("watch", now, list(self.channels)):
            alarm_id = str(watch.body["alarm"])
            alarm = self._watched.pop(watch.key, None)
            if alarm is None and self.lookup is not None:
                alarm = self.lookup(alarm_id)
            # nobody acknowledged, shelved or cleared it (an alarm no longer known is over)
            if alarm is not None and alarm.state is AlarmState.ACTIVE:
                body = alarm_message(alarm, "escalated")
                key = f"{alarm_id}:escalated:{watch.channel}"
                self.outbox.put(Message(key, watch.channel, body, due=now, created=now), "pending")
            self.outbox.move([watch.key], "done", now)

    def _refresh(self) -> None:
        counts = self.outbox.counts()
        for cid, st in self.status.items():
            n = counts.get(cid, {})
            st.sent, st.pending = n.get("sent", 0), n.get("pending", 0)
            st.held, st.failed = n.get("held", 0), n.get("failed", 0)

    def snapshot(self) -> list[dict[str, Any]]:
        """Per channel: the outbox's counts (across restarts), failed attempts and the last
        error in this process, the last deliveries, and the messages failing now."""
        out = []
        for cid, st in self.status.items():
            out.append(
                {"channel": cid, "kind": self.channels[cid].kind, "sent": st.sent,
                 "pending": st.pending, "held": st.held, "failed": st.failed,
                 "failed_attempts": st.failed_attempts, "last_error": st.last_error,
                 "recent": list(st.recent)[-10:], "failing": self.outbox.failing(cid),
                 "durable": self.outbox.durable}
            )  # fmt: skip
        return out
