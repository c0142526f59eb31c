"""Security of the API: four eyes on approvals, audited account creation, login throttling,
request size limits, security headers, session lifetime."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from jayul.server.live import LiveState
from jayul.server.users import Role, Sessions, User

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


def _from(client_ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": client_ip}


def test_throttling_cannot_lock_an_account_out(
    client: TestClient, live: LiveState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAYUL_TRUSTED_PROXIES", "testclient")
    with live.lock:
        live.users.add("hana", Role.OPERATOR, "operator-pass-7", by="ada")
    wrong = {"username": "hana", "password": "guess"}
    before = len(live.audit.records(kind="login_failed"))
    codes = [
        client.post("/api/login", json=wrong, headers=_from("10.0.0.66")).status_code
        for _ in range(8)
    ]
    assert codes == [401] * 5 + [429] * 3
    right = {"username": "hana", "password": "operator-pass-7"}
    # the attacker's client stays throttled even with the right password ...
    assert client.post("/api/login", json=right, headers=_from("10.0.0.66")).status_code == 429
    # ... while hana, from her own console, logs in
    assert client.post("/api/login", json=right, headers=_from("10.0.0.7")).status_code == 200
    # failures are counted, not each written to the trail: one record for reaching the limit
    assert len(live.audit.records(kind="login_failed")) == before
    throttled = [r for r in live.audit.records(kind="login_throttled") if r.actor == "hana"]
    assert len(throttled) == 1 and throttled[0].data()["client"] == "10.0.0.66"


def test_concurrent_guesses_cannot_pass_the_limit(
    client: TestClient, live: LiveState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAYUL_TRUSTED_PROXIES", "testclient")
    wrong = {"username": "olga", "password": "guess"}

    def guess(_: int) -> int:
        return client.post("/api/login", json=wrong, headers=_from("10.0.0.99")).status_code

    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(guess, range(48)))
    assert codes.count(401) <= live.login_throttle.max_failures, codes
    assert codes.count(401) + codes.count(429) == 48


def test_request_body_limit(client: TestClient) -> None:
    huge = b'{"username":"a","password":"' + b"x" * (2 << 20) + b'"}'
    r = client.post("/api/login", content=huge, headers={"Content-Type": "application/json"})
    assert r.status_code == 413

    def chunks() -> Iterator[bytes]:
        yield b'{"username":"a","password":"'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    r = client.post("/api/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_security_headers(client: TestClient) -> None:
    for path in ("/", "/api/health", "/static/app.js"):
        h = client.get(path).headers
        assert h["x-frame-options"] == "DENY", path
        assert h["x-content-type-options"] == "nosniff", path
        assert "frame-ancestors 'none'" in h["content-security-policy"], path
        assert "script-src 'self'" in h["content-security-policy"], path


def test_secure_cookie_option(
    client: TestClient, live: LiveState, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"username": "vera", "password": "viewer-pass-1"}
    plain = client.post("/api/login", json=body).headers["set-cookie"]
    assert "secure" not in plain.lower() and "httponly" in plain.lower()
    monkeypatch.setenv("JAYUL_SECURE_COOKIES", "1")
    tls = client.post("/api/login", json=body).headers["set-cookie"]
    assert "secure" in tls.lower() and "max-age=" in tls.lower()


def test_absolute_session_lifetime() -> None:
    sessions = Sessions(idle_s=3600.0, max_age_s=0.2)
    s = sessions.open(User("olga", Role.OPERATOR, 0, "ada"))
    for _ in range(3):  # kept in use: the idle timeout never fires
        assert sessions.get(s.token) is not None
        time.sleep(0.05)
    time.sleep(0.1)
    assert sessions.get(s.token) is None
