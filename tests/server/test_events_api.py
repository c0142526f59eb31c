"""POST /api/events: engineers and admins record plant events from other systems; the event
reaches the historian once however often it is sent, and every write or refusal is audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jayul.records import EventKind
from jayul.server import LiveState, create_app

PASSWORDS = {"ada": "admin-pass-1", "erik": "engineer-pass-1", "olga": "operator-pass-1"}


@pytest.fixture(scope="module")
def client(fuzz_state: LiveState) -> Iterator[TestClient]:
    with TestClient(create_app(fuzz_state)) as c:
        yield c


def headers(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/login", json={"username": name, "password": PASSWORDS[name]})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def stored(state: LiveState, event_id: str) -> list[str]:
    assert state.historian is not None
    with state.lock:
        return [e.id for e in state.historian.query_events() if e.id == event_id]


def test_an_engineer_records_a_failure_once_and_it_is_audited(
    client: TestClient, fuzz_state: LiveState
) -> None:
    body = {
        "time": "2026-01-02T03:04:05+01:00",
        "machine": "pump2",
        "kind": "Breakdown",
        "id": "WO-77",
        "mode": "impeller_wear",
        "note": "pump lost pressure",
    }
    h = headers(client, "erik")
    first = client.post("/api/events", json=body, headers=h)
    assert first.status_code == 200, first.text
    again = client.post("/api/events", json=body, headers=h)
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["kind"] == EventKind.FAILURE.value
    assert stored(fuzz_state, first.json()["id"]) == [first.json()["id"]]
    with fuzz_state.lock:
        event = next(
            e
            for e in fuzz_state.historian.query_events(machine="pump2")  # type: ignore[union-attr]
            if e.id == first.json()["id"]
        )
    assert event.time == 1767319445 * 10**9
    assert event.payload["mode"] == "impeller_wear"
    assert event.payload["by"] == "erik"
    records = client.get("/api/audit?kind=event_recorded&actor=erik", headers=h).json()["records"]
    assert records and records[0]["payload"]["event_id"] == first.json()["id"]


def test_an_admin_may_and_an_operator_may_not(client: TestClient) -> None:
    body = {"time": 1767400000000000000, "machine": "cnc1", "kind": "pm_start"}
    assert client.post("/api/events", json=body, headers=headers(client, "ada")).status_code == 200
    h = headers(client, "olga")
    refused = client.post("/api/events", json=body, headers=h)
    assert refused.status_code == 403
    assert "may not record plant events" in refused.json()["detail"]
    denied = client.get("/api/audit?kind=api_denied&actor=olga", headers=h).json()["records"]
    assert any(r["subject"] == "/api/events" for r in denied)
    client.cookies.clear()  # the logins above left a session cookie
    assert client.post("/api/events", json=body).status_code == 401


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"time": "2026-01-02T00:00Z", "machine": "pump9", "kind": "failure"}, "not in the plant"),
        ({"time": "2026-01-02T00:00Z", "machine": "pump1", "kind": "coffee"}, "not a plant-event"),
        ({"time": -5, "machine": "pump1", "kind": "failure"}, "outside 1970"),
    ],
)
def test_a_bad_event_is_refused_with_its_reason_and_audited(
    client: TestClient, body: dict[str, object], reason: str
) -> None:
    h = headers(client, "erik")
    r = client.post("/api/events", json=body, headers=h)
    assert r.status_code == 422
    assert reason in r.json()["detail"]
    records = client.get("/api/audit?kind=event_rejected&actor=erik", headers=h).json()["records"]
    assert any(reason in rec["reason"] for rec in records)
