"""The API against a live twin: logins, roles on every write, the approval flow, the gate's
interlock for API callers, audit records naming the user, live and historical signals."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from jayul.server.live import LiveState

Login = Callable[[TestClient, str], dict[str, str]]


def test_every_route_needs_a_login(client: TestClient, login: Login) -> None:
    assert client.get("/api/health").status_code == 200
    for path in ("/api/machines", "/api/approvals", "/api/audit", "/api/kpis"):
        r = client.get(path, headers={"Authorization": "Bearer nonsense"})
        assert r.status_code == 401, path
    bad = client.post("/api/login", json={"username": "olga", "password": "wrong-password"})
    assert bad.status_code == 401


def test_overview_shows_every_machine_and_no_made_up_rul(client: TestClient, login: Login) -> None:
    h = login(client, "vera")
    machines = client.get("/api/machines", headers=h).json()
    assert len(machines) == 12
    assert all(m["rul"] is None for m in machines)  # no RUL model attached: say so, invent none
    assert client.get("/api/rul", headers=h).json()["available"] is False
    assert client.get("/api/plan", headers=h).json()["available"] is False
    assert any(m["alert_active"] for m in machines)


def test_alerts_carry_their_explanation(client: TestClient, login: Login) -> None:
    h = login(client, "vera")
    alerts = client.get("/api/alerts", headers=h).json()
    assert alerts, "the warm-up runs until an alert led to a proposal"
    a = alerts[0]
    assert a["contributions"] and a["reason"]
    assert abs(sum(c["share"] for c in a["contributions"]) - 1.0) < 0.5


def test_recent_rows_and_history(client: TestClient, login: Login, live: LiveState) -> None:
    h = login(client, "vera")
    r = client.get("/api/machines/pump1/recent?rows=5", headers=h).json()
    assert len(r["time"]) == 5 and set(r["signals"]) >= {"flow", "vib_rms"}
    assert len(r["score"]) == 5
    hist = client.get("/api/machines/pump1/signals/vib_rms/history?buckets=24", headers=h).json()
    assert 1 <= len(hist["bucket"]) <= 25 and all(c > 0 for c in hist["count"])
    assert client.get("/api/machines/nope/recent", headers=h).status_code == 404
    assert client.get("/api/machines/pump1/signals/nope/history", headers=h).status_code == 404


def test_stream_sends_rows(client: TestClient, login: Login) -> None:
    h = login(client, "vera")
    with client.stream("GET", "/api/machines/pump1/stream?seconds=0.5", headers=h) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        first = next(line for line in r.iter_lines() if line.startswith("data: "))
    assert '"rows"' in first and '"machine"' in first


def test_viewer_may_not_approve_and_the_refusal_is_audited(
    client: TestClient, login: Login
) -> None:
    h = login(client, "vera")
    pending = client.get("/api/approvals", headers=h).json()
    assert pending
    r = client.post(f"/api/approvals/{pending[0]['id']}/approve", json={}, headers=h)
    assert r.status_code == 403
    denied = client.get("/api/audit?kind=api_denied&actor=vera", headers=h).json()
    assert denied["records"]


def test_operator_approves_and_the_twin_carries_it_out(
    client: TestClient, login: Login, live: LiveState
) -> None:
    h = login(client, "olga")
    item = client.get("/api/approvals", headers=h).json()[0]
    before = live.pilot.twin.kpis().maintenances
    r = client.post(f"/api/approvals/{item['id']}/approve", json={"note": "go"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "executed", r.text
    machine = item["action"]["machine"]
    state = live.pilot.twin.machines[machine]
    assert state.status.value in ("maintenance", "wait_crew") or state.pending_maintenance
    records = client.get("/api/audit?kind=approval_approved", headers=h).json()["records"]
    assert records[0]["actor"] == "olga"
    for _ in range(48):  # a few plant hours later the maintenance is done
        live.tick()
    assert live.pilot.twin.kpis().maintenances > before
    again = client.post(f"/api/approvals/{item['id']}/approve", json={}, headers=h)
    assert again.status_code == 409  # no longer open


def test_reject_needs_a_reason(client: TestClient, login: Login) -> None:
    h = login(client, "olga")
    r = client.post("/api/approvals/whatever/reject", json={}, headers=h)
    assert r.status_code == 422
    r = client.post("/api/approvals/whatever/reject", json={"reason": "no"}, headers=h)
    assert r.status_code == 404


def test_only_an_engineer_changes_autonomy(client: TestClient, login: Login) -> None:
    body = {"level": "L1", "reason": "test", "line": "line2"}
    for name in ("vera", "olga", "ada"):
        assert (
            client.put("/api/autonomy", json=body, headers=login(client, name)).status_code == 403
        )
    h = login(client, "erik")
    assert client.put("/api/autonomy", json=body, headers=h).status_code == 200
    scopes = {s["scope"]: s for s in client.get("/api/autonomy", headers=h).json()["settings"]}
    assert scopes["line:line2"]["level"] == "L1" and scopes["line:line2"]["set_by"] == "erik"
    clear = {"scope": "line:line2", "reason": "back"}
    assert client.post("/api/autonomy/clear", json=clear, headers=h).status_code == 200


def test_kill_switch(client: TestClient, login: Login) -> None:
    op, eng = login(client, "olga"), login(client, "erik")
    assert client.post("/api/kill", json={"reason": "smoke"}, headers=op).status_code == 200
    assert client.get("/api/autonomy", headers=op).json()["killed"] is True
    assert client.post("/api/kill/clear", json={"reason": "ok"}, headers=op).status_code == 403
    assert client.post("/api/kill/clear", json={"reason": "ok"}, headers=eng).status_code == 200
    assert client.get("/api/autonomy", headers=op).json()["killed"] is False


def test_the_interlock_applies_to_api_callers(
    client: TestClient, login: Login, live: LiveState
) -> None:
    h = login(client, "erik")
    body = {
        "machine": "pump2",
        "kind": "change_setpoint",
        "params": {"setpoint": "speed_rpm", "value": 5000, "unit": "rpm"},
    }
    out = client.post("/api/actions", json=body, headers=h).json()
    assert out["status"] == "refused" and out["check"] == "interlock"
    assert live.pilot.twin.machines["pump2"].setpoints["speed_rpm"] == 1450.0
    records = client.get("/api/audit?kind=action_refused&subject=pump2", headers=h).json()
    assert records["records"][0]["payload"]["proposer"] == "user:erik"
    assert client.post("/api/actions", json=body, headers=login(client, "vera")).status_code == 403


def test_only_an_admin_manages_users(client: TestClient, login: Login) -> None:
    new = {"name": "nina", "role": "viewer", "password": "nina-pass-1"}
    assert client.post("/api/users", json=new, headers=login(client, "erik")).status_code == 403
    admin = login(client, "ada")
    assert client.post("/api/users", json=new, headers=admin).status_code == 201
    assert client.post("/api/users", json=new, headers=admin).status_code == 409
    names = [u["name"] for u in client.get("/api/users", headers=admin).json()]
    assert "nina" in names
    nina = client.post("/api/login", json={"username": "nina", "password": "nina-pass-1"})
    token = {"Authorization": f"Bearer {nina.json()['token']}"}
    assert client.delete("/api/users/nina", headers=admin).status_code == 200
    assert client.get("/api/me", headers=token).status_code == 401  # logged out on removal
    added = client.get("/api/audit?kind=user_added&subject=nina", headers=admin).json()
    assert added["records"][0]["actor"] == "ada"


def test_audit_chain_stays_intact(client: TestClient, login: Login) -> None:
    v = client.get("/api/audit/verify", headers=login(client, "vera")).json()
    assert v["ok"] is True, v
    assert v["anchor"] is None  # no JAYUL_AUDIT_ANCHOR here
