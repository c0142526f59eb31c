"""Notification failures are visible through the API: a channel whose receiver refuses shows
the message waiting, its attempts and the receiver's error, kept in the plant database."""

from __future__ import annotations

import sys

from fastapi.testclient import TestClient

from jayul.alarms import Severity
from jayul.connect.notify import Channel, Notifier
from jayul.connect.notify_outbox import NotifyOutbox
from jayul.historian.sql_store import SqlHistorian
from jayul.server import LiveState

from .conftest import Login


def test_a_failing_channel_is_shown(live: LiveState, client: TestClient, login: Login) -> None:
    h = login(client, "vera")
    assert isinstance(live.historian, SqlHistorian)
    refuse = [sys.executable, "-c", "import sys; sys.exit('pager down')"]
    pager = Channel(id="pager", kind="command", min_severity="low", command=refuse)
    n = Notifier([pager], outbox=NotifyOutbox(live.historian))
    before = client.get("/api/notifications", headers=h).json()
    live.notifier = n  # attached without its thread: this test pumps
    live.alarms.board.listeners.append(n.on_alarm)
    try:
        with live.lock:
            alarm = live.alarms.board.raise_or_repeat(
                "pump1/notify-test", "pump1", "test", live.port.time_ns(), Severity.HIGH, "test"
            )
        n.pump()
        (ch,) = client.get("/api/notifications", headers=h).json()["channels"]
        assert ch["pending"] == 1 and ch["sent"] == 0 and ch["durable"]
        (f,) = ch["failing"]
        assert f["key"] == f"{alarm.id}:raised:pager" and f["attempts"] == 1
        assert "pager down" in f["last_error"] and f["next_at"] is not None
    finally:
        live.alarms.board.listeners.remove(n.on_alarm)
        live.notifier = None
        with live.lock:
            live.alarms.board.act(alarm.id, "test", live.port.time_ns(), "clear", reason="test")
    assert before["configured"] is False and "--notify" in before["reason"]
