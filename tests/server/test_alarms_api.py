"""Alarms over HTTP against the live twin: alerts become alarms (one per problem, counted),
people's transitions by role, audited; rules imported and exported as files."""

from __future__ import annotations

import yaml
from fastapi.testclient import TestClient

from jayul.server import LiveState

from .conftest import Login


def test_alerts_become_fewer_alarms_with_counts(
    client: TestClient, login: Login, live: LiveState
) -> None:
    h = login(client, "vera")
    data = client.get("/api/alarms", headers=h).json()
    alerts = client.get("/api/alerts?limit=500", headers=h).json()
    assert alerts, "800 warm-up hours raise alerts"
    found = data["alarms"]
    assert found and sum(data["counts"].values()) == len(found)
    counted = sum(a["count"] for a in found)
    assert counted >= len(found)
    assert len({a["key"] for a in found}) == len(found)  # one open alarm per problem
    one = client.get(f"/api/alarms/{found[0]['id']}", headers=h).json()
    assert one["history"][0]["what"] == "raised"
    assert client.get("/api/alarms/nope", headers=h).status_code == 404


def test_transitions_by_role_are_audited(client: TestClient, login: Login) -> None:
    viewer, operator = login(client, "vera"), login(client, "olga")
    found = client.get("/api/alarms?state=active", headers=viewer).json()["alarms"]
    assert found, "an active alarm to acknowledge"
    alarm_id = found[0]["id"]
    r = client.post(f"/api/alarms/{alarm_id}/acknowledge", json={}, headers=viewer)
    assert r.status_code == 403
    r = client.post(f"/api/alarms/{alarm_id}/acknowledge", json={"note": "on it"}, headers=operator)
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["acked_by"]) == ("acknowledged", "user:olga")
    again = client.post(f"/api/alarms/{alarm_id}/acknowledge", json={}, headers=operator)
    assert again.status_code == 409 and "only an active alarm" in again.json()["detail"]
    r = client.post(f"/api/alarms/{alarm_id}/shelve", json={"reason": "x"}, headers=operator)
    assert r.status_code == 422  # no hours
    r = client.post(
        f"/api/alarms/{alarm_id}/shelve", json={"hours": 4, "reason": "crew due"}, headers=operator
    )
    assert r.json()["state"] == "shelved"
    r = client.post(f"/api/alarms/{alarm_id}/comment", json={"text": "noisy"}, headers=operator)
    assert r.json()["history"][-1]["note"] == "noisy"
    r = client.post(f"/api/alarms/{alarm_id}/clear", json={"reason": ""}, headers=operator)
    assert r.status_code == 409
    r = client.post(
        f"/api/alarms/{alarm_id}/clear", json={"reason": "bearing checked"}, headers=operator
    )
    assert r.json()["state"] == "cleared"
    kinds = [
        rec["kind"]
        for rec in client.get("/api/audit?actor=user:olga&limit=50", headers=operator).json()[
            "records"
        ]
    ]
    for kind in ("alarm_acknowledge", "alarm_shelve", "alarm_comment", "alarm_clear"):
        assert kind in kinds
    cleared = client.get("/api/alarms?state=cleared&include_cleared=true", headers=viewer).json()
    assert alarm_id in [a["id"] for a in cleared["alarms"]]


def test_rules_import_export_by_engineers_only(client: TestClient, login: Login) -> None:
    operator, engineer = login(client, "olga"), login(client, "erik")
    text = (
        "alarms:\n  - {id: api-vib, kind: threshold, machine: pump1, signal: vib_rms, above: 99}\n"
    )
    r = client.post("/api/alarm-rules/import", json={"text": text}, headers=operator)
    assert r.status_code == 403
    r = client.post("/api/alarm-rules/import", json={"text": text}, headers=engineer)
    assert r.status_code == 200 and r.json() == {"imported": ["api-vib"]}
    bad = "alarms:\n  - {id: b, kind: threshold, machine: pump1, signal: nope, above: 1}\n"
    r = client.post("/api/alarm-rules/import", json={"text": bad}, headers=engineer)
    assert r.status_code == 422 and "no machine 'pump1' has a signal 'nope'" in r.json()["detail"]
    exported = client.get("/api/alarm-rules?format=yaml", headers=operator)
    assert exported.headers["content-type"].startswith("application/yaml")
    rules = yaml.safe_load(exported.text)["alarms"]
    assert {
        "id": "api-vib",
        "kind": "threshold",
        "machine": "pump1",
        "signal": "vib_rms",
        "above": 99.0,
    } in rules
    assert client.delete("/api/alarm-rules/api-vib", headers=engineer).status_code == 200
    assert client.delete("/api/alarm-rules/api-vib", headers=engineer).status_code == 404
