"""A person's decision on an approval request through the API is a plant event in the
historian, beside the alerts and actions: `jayul query events`, the history explorer and the
exports show who approved or rejected what, and when (the audit trail alone is not read there)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from fastapi.testclient import TestClient

from jayul.records import EventKind
from jayul.server import LiveState

Login = Callable[[TestClient, str], dict[str, str]]


def _propose(client: TestClient, who: dict[str, str], machine: str, value: float) -> str:
    body = {
        "machine": machine,
        "kind": "change_setpoint",
        "params": {"setpoint": "pressure_limit", "value": value, "unit": "bar"},
    }
    out = client.post("/api/actions", json=body, headers=who).json()
    assert out["status"] == "pending", out
    return str(out["approval_id"])


def test_approvals_and_rejections_are_historian_events(
    client: TestClient, login: Login, live: LiveState
) -> None:
    erik, olga = login(client, "erik"), login(client, "olga")
    approved = _propose(client, olga, "press3", 220)
    rejected = _propose(client, olga, "press2", 200)
    with live.lock:
        start = live.port.time_ns()
    ok = client.post(
        f"/api/approvals/{approved}/approve", json={"note": "looked fine"}, headers=erik
    )
    assert ok.status_code == 200, ok.text
    no = client.post(f"/api/approvals/{rejected}/reject", json={"reason": "not now"}, headers=erik)
    assert no.status_code == 200, no.text

    assert live.historian is not None
    found = {
        e.payload["approval"]: e
        for e in live.historian.query_events(start, None, kinds=[EventKind.APPROVAL])
    }
    yes_event, no_event = found[approved], found[rejected]
    assert yes_event.machine == "press3" and yes_event.payload["decision"] == "approved"
    assert yes_event.payload["by"] == "erik" and yes_event.payload["role"] == "engineer"
    assert yes_event.payload["outcome"] == "executed"
    assert yes_event.payload["proposed_by"] == "user:olga"
    assert yes_event.payload["note"] == "looked fine"
    assert no_event.payload["decision"] == "rejected" and no_event.payload["note"] == "not now"
    assert (
        "rejected by erik (engineer): change_setpoint on press2: not now"
        in (no_event.payload["reason"])
    )
    assert yes_event.time >= start

    # the export of events (CSV) carries them, payload and all
    with live.lock:
        end = live.port.time_ns() + 1
    r = client.get(f"/api/export/events?kind=approval&start_ns={start}&end_ns={end}", headers=olga)
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.text)))
    exported = {json.loads(row["payload"])["approval"]: row for row in rows}
    assert set(exported) >= {approved, rejected}
    assert exported[approved]["kind"] == "approval" and exported[approved]["machine"] == "press3"
