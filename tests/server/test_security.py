"""Security of the API: four eyes on approvals, audited account creation, login throttling,
request size limits, security headers, session lifetime."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from jayul.server.live import LiveState
from jayul.server.users import Role

Login = Callable[[TestClient, str], dict[str, str]]


def test_four_eyes_on_api_approvals(client: TestClient, login: Login, live: LiveState) -> None:
    erik = login(client, "erik")
    body = {
        "machine": "pump1",
        "kind": "change_setpoint",
        "params": {"setpoint": "speed_rpm", "value": 1460, "unit": "rpm"},
    }
    out = client.post("/api/actions", json=body, headers=erik).json()
    assert out["status"] == "pending", out
    aid = out["approval_id"]
    listed = {a["id"]: a for a in client.get("/api/approvals", headers=erik).json()}
    assert listed[aid]["proposed_by"] == "user:erik"
    own = client.post(f"/api/approvals/{aid}/approve", json={}, headers=erik)
    assert own.status_code == 403 and "four-eyes" in own.json()["detail"]
    # a second account the proposer made for himself does not count as a second person
    with live.lock:
        live.users.add("erik-alt", Role.ENGINEER, "erik-alt-pass-1", by="erik")
        live.users.add("ines", Role.ENGINEER, "ines-pass-12", by="ada")
    alt = client.post("/api/login", json={"username": "erik-alt", "password": "erik-alt-pass-1"})
    alt_h = {"Authorization": f"Bearer {alt.json()['token']}"}
    sneaky = client.post(f"/api/approvals/{aid}/approve", json={}, headers=alt_h)
    assert sneaky.status_code == 403 and "created by erik" in sneaky.json()["detail"]
    ines = client.post("/api/login", json={"username": "ines", "password": "ines-pass-12"})
    ines_h = {"Authorization": f"Bearer {ines.json()['token']}"}
    ok = client.post(f"/api/approvals/{aid}/approve", json={}, headers=ines_h)
    assert ok.status_code == 200 and ok.json()["status"] == "executed", ok.text
    denied = client.get("/api/audit?kind=approval_denied", headers=erik).json()["records"]
    assert {r["actor"] for r in denied} >= {"erik", "erik-alt"}
    created = client.get("/api/audit?kind=user_added", headers=erik).json()["records"]
    assert any(r["subject"] == "erik-alt" and r["actor"] == "erik" for r in created)
