"""GET /api/deadletters: counts by reason and the newest letters, behind a login."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from jayul.historian.base import DeadLetter
from jayul.server.live import LiveState

Login = Callable[[TestClient, str], dict[str, str]]


def test_dead_letters_counted_by_reason(client: TestClient, login: Login, live: LiveState) -> None:
    bad = {"Authorization": "Bearer nonsense"}  # the session's client may hold a login cookie
    assert client.get("/api/deadletters", headers=bad).status_code == 401
    assert live.historian is not None
    reason = "mapping 'gw/{machine}': time ('ts'): no such field (api test)"
    letters = [DeadLetter(10**18 + i, "mqtt:gw/pump1", reason, b'{"t": 1}') for i in range(3)]
    live.historian.append_dead_letters([*letters, DeadLetter(1, "import:x.csv", "other", b"x")])
    h = login(client, "vera")
    body = client.get("/api/deadletters", headers=h, params={"reason": "(api test)"}).json()
    mine = [r for r in body["by_reason"] if r["reason"] == reason]
    assert mine == [{"reason": reason, "source": "mqtt", "count": 3}]
    assert body["total"] >= 4
    assert [x["reason"] for x in body["letters"]] == [reason] * 3
    assert body["letters"][0]["raw"] == '{"t": 1}' and body["letters"][0]["raw_bytes"] == 8
    seqs = [x["seq"] for x in body["letters"]]
    assert seqs == sorted(seqs, reverse=True)


def test_devices_of_a_simulated_plant_say_it_has_no_sources(
    client: TestClient, login: Login
) -> None:
    bad = {"Authorization": "Bearer nonsense"}
    assert client.get("/api/devices", headers=bad).status_code == 401
    body = client.get("/api/devices", headers=login(client, "vera")).json()
    assert body["connected_equipment"] is False and body["sources"] == []
    assert "simulated plant" in body["note"]


def test_a_real_plant_is_not_called_simulated_nor_given_twin_kpis(
    client: TestClient, login: Login, live: LiveState, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = login(client, "vera")
    twin = client.get("/api/plant", headers=h).json()
    assert twin["connected_equipment"] is False and "simulated" in twin["clock"]
    assert client.get("/api/kpis", headers=h).json()["available"] is True
    # jayul run --port: the console has sources to watch, and the plant keeps no KPI ledger
    monkeypatch.setattr(live, "devices", lambda: {"sources": [], "kinds": {}, "signals": []})
    monkeypatch.setattr(live.snapshot, "kpis", {})
    real = client.get("/api/plant", headers=h).json()
    assert real["connected_equipment"] is True
    assert "simulated" not in real["clock"] and "twin" not in real["clock"]
    kpis = client.get("/api/kpis", headers=h).json()
    assert kpis["available"] is False and "twin's ledger" in kpis["reason"]
