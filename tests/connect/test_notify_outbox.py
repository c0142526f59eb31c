"""The notifications' outbox on every historian store (DuckDB in memory and in a file,
PostgreSQL): one row per idempotency key, states, due times, counts, failures, pruning."""

from __future__ import annotations

from tests.historian.conftest import Store, historian, pg_schema, store

from jayul.connect.notify_outbox import KEEP_DONE_S, Message, NotifyOutbox
from jayul.historian.base import Historian
from jayul.historian.sql_store import SqlHistorian

__all__ = ["Store", "historian", "pg_schema", "store"]  # the historian tests' fixtures


def test_outbox_contract(historian: Historian) -> None:
    assert isinstance(historian, SqlHistorian)
    box = NotifyOutbox(historian)
    now = 1_767_225_600.0
    for k in range(3):
        box.put(Message(f"a{k}:raised:mail", "mail", {"alarm": f"a{k}"}, now, created=now),
                "pending")  # fmt: skip
    box.put(Message("a0:raised:mail", "mail", {"alarm": "other"}, now, created=now), "pending")
    box.put(Message("a9:raised:mail", "mail", {"alarm": "a9"}, now, created=now), "held")
    assert box.counts() == {"mail": {"pending": 3, "held": 1}}  # the repeated key kept once
    due = box.due("pending", now, ["mail"])
    assert box.due("pending", now, ["hook"]) == []  # another channel's rows are not its
    assert [m.key for m in due] == ["a0:raised:mail", "a1:raised:mail", "a2:raised:mail"]
    assert due[0].body == {"alarm": "a0"}
    box.move(["a0:raised:mail"], "sent", now, attempts=1)
    box.move(["a1:raised:mail"], "pending", now, attempts=1, due=now + 1, error="refused")
    box.move(["a2:raised:mail"], "failed", now, attempts=7, error="gone")
    assert [m.key for m in box.due("pending", now, ["mail"])] == []
    assert [m.key for m in box.due("pending", now + 1, ["mail"])] == ["a1:raised:mail"]
    failing = {f["key"]: f for f in box.failing("mail")}
    assert failing["a1:raised:mail"]["next_at"] == now + 1
    assert failing["a2:raised:mail"]["state"] == "failed"
    assert [m.key for m in box.held("mail")] == ["a9:raised:mail"]
    box.prune(now + KEEP_DONE_S + 1)  # finished rows older than a week go; open ones stay
    assert box.counts() == {"mail": {"pending": 1, "held": 1}}
