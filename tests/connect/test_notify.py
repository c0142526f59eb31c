"""Notifications against real receivers: an HTTP webhook receiver (restarted mid-stream: none
lost, none duplicated beyond the idempotency key), aiosmtpd for e-mail, a command hook; the
signature, filters, quiet hours, digest, escalation, and an alarm flood as one message."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from jayul.alarms import Alarm, AlarmBoard, Severity
from jayul.connect.notify import Channel, Notifier, load_channels
from jayul.connect.notify_outbox import Message
from jayul.connect.notify_send import sign
from jayul.records import Alert

S = 1_000_000_000


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """A webhook receiver keeping every delivery; `fail_first` answers 500 to a key's first
    delivery after processing it (the acknowledgement lost), so the sender repeats it."""

    def __init__(self, port: int, secret: str, fail_first: set[str] | None = None) -> None:
        self.port, self.secret = port, secret
        self.got: list[tuple[str, dict[str, Any], bool]] = []
        self.fail_first = fail_first or set()
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stamp = self.headers["X-Jayul-Timestamp"]
                ok = self.headers["X-Jayul-Signature"] == sign(outer.secret, stamp, body)
                key = self.headers["Idempotency-Key"]
                outer.got.append((key, json.loads(body), ok))
                status = 500 if key in outer.fail_first else 200
                outer.fail_first.discard(key)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()


def _alarm(k: int, severity: Severity = Severity.HIGH, machine: str = "pump1") -> Alarm:
    return Alarm(key=f"{machine}/{k}", machine=machine, source="z", severity=severity,
                 first_ns=k * S, last_ns=k * S, message=f"alarm {k}")  # fmt: skip


def _drain(n: Notifier, seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and any(s.pending for s in n.status.values()):
        n.pump()
        time.sleep(0.05)


def test_webhook_loses_nothing_across_a_receiver_restart() -> None:
    port = _port()
    rx = Receiver(port, "s3cret", fail_first={"a3:raised:hook", "a7:raised:hook"})
    hook = Channel(id="hook", kind="webhook", url=f"http://127.0.0.1:{port}/", secret="s3cret",
                   timeout_s=2)  # fmt: skip
    n = Notifier([hook])
    rx.start()
    for k in range(10):
        a = _alarm(k)
        a.id = f"a{k}"
        n.on_alarm(a, "raised")
    _drain(n)
    rx.stop()  # the receiver goes down with 10 more on their way
    for k in range(10, 20):
        a = _alarm(k)
        a.id = f"a{k}"
        n.on_alarm(a, "raised")
    for _ in range(5):
        n.pump()
    assert n.status["hook"].failed_attempts >= 1 and "Error" in n.status["hook"].last_error
    rx.start()  # back, on the same port
    _drain(n)
    keys = [k for k, _, _ in rx.got]
    assert len(set(keys)) == 20  # none lost
    assert len(keys) == 22  # the two whose acknowledgement was lost came twice, same key
    assert all(ok for _, _, ok in rx.got)  # every delivery signed with the secret
    assert n.status["hook"].sent == 20 and n.status["hook"].pending == 0
    rx.stop()


def test_a_flood_is_one_notification() -> None:
    sent: list[str] = []
    n = Notifier([Channel(id="c", kind="command", command=["true"])])

    def keep(c: Channel, msg: Message) -> tuple[bool, str]:
        sent.append(msg.key)
        return True, ""

    n._deliver = keep  # type: ignore[method-assign]
    board = AlarmBoard()
    board.listeners.append(n.on_alarm)
    for k in range(1000):
        board.alert(Alert(time=k * S // 20, machine="pump1", detector="z", score=2.0,
                          threshold=1.0), "bearing_wear")  # fmt: skip
    n.pump()
    assert len(sent) == 1 and board.alarms()[0].count == 1000


def test_email_over_smtp() -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    class Keep(Sink):
        def __init__(self) -> None:
            self.mail: list[Any] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            self.mail.append(envelope)
            return "250 OK"

    handler = Keep()
    port = _port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mail = Channel(id="mail", kind="email", smtp_port=port, to=["shift@plant.example"])
        n = Notifier([mail])
        n.on_alarm(_alarm(1, Severity.CRITICAL), "raised")
        _drain(n)
        assert len(handler.mail) == 1
        text = handler.mail[0].content.decode()
        assert "Subject: [jayul] raised: pump1 alarm 1" in text
        assert handler.mail[0].rcpt_tos == ["shift@plant.example"]
    finally:
        controller.stop()


def test_command_hook_gets_the_message_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "got.json"
    code = f"import sys; open({str(out)!r}, 'wb').write(sys.stdin.buffer.read())"
    n = Notifier([Channel(id="cmd", kind="command", command=[sys.executable, "-c", code])])
    n.on_alarm(_alarm(4), "raised")
    _drain(n)
    assert json.loads(out.read_text())["machine"] == "pump1"
    bad = Notifier([Channel(id="bad", kind="command", command=[sys.executable, "-c", "exit(3)"])])
    bad.on_alarm(_alarm(5), "raised")
    bad.pump()
    assert bad.status["bad"].sent == 0 and "exit 3" in bad.status["bad"].last_error


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_filters_quiet_hours_digest_and_escalation() -> None:
    sent: list[tuple[str, str]] = []
    night = Clock(1_767_225_600 + 2 * 3600)  # 02:00 UTC
    chans = [
        Channel(id="line2-high", kind="command", min_severity="high", lines=["line2"]),
        Channel(id="quiet", kind="command", quiet_hours=(0, 6)),
        Channel(id="digest", kind="command", digest_s=600),
        Channel(id="esc", kind="command", escalate_after_s=900),
    ]
    n = Notifier(chans, lines={"pump1": "line1", "pump3": "line2"}, clock=night)

    def keep(c: Channel, msg: Message) -> tuple[bool, str]:
        sent.append((c.id, msg.body["event"]))
        return True, ""

    n._deliver = keep  # type: ignore[method-assign]
    n.on_alarm(_alarm(1, Severity.MEDIUM, "pump3"), "raised")
    n.on_alarm(_alarm(2, Severity.HIGH, "pump3"), "raised")
    n.on_alarm(_alarm(3, Severity.CRITICAL, "pump1"), "raised")
    n.pump()
    assert sent.count(("line2-high", "raised")) == 1  # only the high one on line2
    assert sent.count(("quiet", "raised")) == 1  # the critical one goes in quiet hours
    assert sent.count(("digest", "digest")) == 1 and n.status["digest"].sent == 1
    night.t += 4 * 3600  # 06:00: quiet hours over, the held two go out
    n.pump()
    assert sent.count(("quiet", "raised")) == 3
    assert sent.count(("esc", "escalated")) == 3  # nobody acknowledged in 15 minutes
    assert sent.count(("esc", "raised")) == 3


def test_channel_files_say_what_is_wrong() -> None:
    ok = load_channels("channels:\n  - {id: a, kind: webhook, url: 'http://x', secret: k}\n")
    assert ok[0].url == "http://x"
    with pytest.raises(ValueError, match="channel #1, kind"):
        load_channels("channels:\n  - {id: a, kind: pager}\n")


def test_alarms_raised_before_listening_are_caught_up_once() -> None:
    sent: list[str] = []
    n = Notifier([Channel(id="c", kind="command", command=["true"])])

    def keep(c: Channel, msg: Message) -> tuple[bool, str]:
        sent.append(msg.key)
        return True, ""

    n._deliver = keep  # type: ignore[method-assign]
    early, seen = _alarm(1), _alarm(2)
    seen.acknowledge("olga", 3 * S)  # someone saw it already: no message
    n.catch_up([early, seen])
    n.pump()
    n.catch_up([early, seen])  # attached again (a restart): the key is in the outbox
    n.pump()
    assert sent == [f"{early.id}:raised:c"]
