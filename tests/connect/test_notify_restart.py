"""The outbox survives a crash: messages queued while the SMTP server is down, in a process
that is then SIGKILLed, are delivered exactly once by the next process once the server (a
real aiosmtpd) is up; a message that cannot be delivered is given up and shown as failed."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from jayul.alarms import Alarm, Severity
from jayul.connect.notify import Channel, Notifier
from jayul.connect.notify_outbox import NotifyOutbox
from jayul.historian.duckdb_store import DuckDBHistorian

S = 1_000_000_000

# The first process: five alarms raised while the SMTP server is down, a few failed attempts,
# then a hard crash (no close, no flush).
FIRST = """
import json, os, signal, sys
from jayul.alarms import Alarm, Severity
from jayul.connect.notify import Channel, Notifier
from jayul.connect.notify_outbox import NotifyOutbox
from jayul.historian.duckdb_store import DuckDBHistorian

db, port = sys.argv[1], int(sys.argv[2])
mail = Channel(id="mail", kind="email", smtp_port=port, to=["shift@plant.example"], timeout_s=2)
n = Notifier([mail], outbox=NotifyOutbox(DuckDBHistorian(db)))
for k in range(5):
    a = Alarm(id=f"a{k}", key=f"pump1/{k}", machine="pump1", source="z",
              severity=Severity.HIGH, first_ns=k, last_ns=k, message=f"alarm {k}")
    n.on_alarm(a, "raised")
n.pump()
print(json.dumps(n.snapshot()[0]), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _mail(port: int) -> Channel:
    return Channel(id="mail", kind="email", smtp_port=port, to=["shift@plant.example"],
                   timeout_s=2)  # fmt: skip


def test_queued_mail_survives_a_crash_and_goes_out_once(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    class Keep(Sink):
        def __init__(self) -> None:
            self.ids: list[str] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            text = envelope.content.decode()
            self.ids += [ln.split(":", 1)[1].strip() for ln in text.splitlines()
                         if ln.lower().startswith("message-id:")]  # fmt: skip
            return "250 OK"

    db, port = tmp_path / "plant.duckdb", _port()
    first = subprocess.run([sys.executable, "-c", FIRST, str(db), str(port)],
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert first.returncode == -9, first.stderr  # killed, as a crash would
    before = json.loads(first.stdout.splitlines()[-1])
    assert before["pending"] == 5 and before["sent"] == 0 and before["failed_attempts"] == 5
    assert "refused" in before["last_error"].lower()

    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        historian = DuckDBHistorian(db)
        with historian:
            n = Notifier([_mail(port)], outbox=NotifyOutbox(historian))
            after = n.snapshot()[0]  # the restarted process shows what is owed and why
            assert after["pending"] == 5 and after["durable"]
            assert {f["attempts"] for f in after["failing"]} == {1}
            assert all("refused" in f["last_error"].lower() for f in after["failing"])
            end = time.monotonic() + 30
            while n.status["mail"].pending and time.monotonic() < end:
                n.pump()
                time.sleep(0.1)
            for _ in range(3):
                n.pump()
            again = Alarm(id="a0", key="pump1/0", machine="pump1", source="z",
                          severity=Severity.HIGH, first_ns=0, last_ns=0)  # fmt: skip
            n.on_alarm(again, "raised")  # raised again after the restart: same key, no repeat
            n.pump()
        historian = DuckDBHistorian(db)
        with historian:  # and a second restart sends nothing more
            n2 = Notifier([_mail(port)], outbox=NotifyOutbox(historian))
            n2.pump()
            assert n2.status["mail"].sent == 5 and n2.status["mail"].pending == 0
    finally:
        controller.stop()
    assert sorted(handler.ids) == [f"<a{k}.raised.mail@jayul>" for k in range(5)]


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_backoff_then_giving_up_is_shown() -> None:
    clock = Clock(1_767_225_600.0)
    bad = Channel(id="bad", kind="command", command=[sys.executable, "-c", "exit(3)"],
                  give_up_after_s=30)  # fmt: skip
    n = Notifier([bad], clock=clock, outbox=NotifyOutbox())
    n.on_alarm(Alarm(id="x", key="k", machine="pump1", source="z", first_ns=0, last_ns=0),
               "raised")  # fmt: skip
    waits = []
    for _ in range(7):
        n.pump()
        (f,) = n.snapshot()[0]["failing"]
        if f["state"] == "failed":
            break
        waits.append(f["next_at"] - clock.t)
        clock.t = f["next_at"]
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0]  # backoff doubling, not hammering the receiver
    snap = n.snapshot()[0]
    assert snap["failed"] == 1 and snap["pending"] == 0
    assert f["attempts"] == 6 and "exit 3" in f["last_error"]
    n.pump()
    assert n.status["bad"].failed_attempts == 6  # given up: no more attempts
