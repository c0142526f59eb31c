"""The history explorer's API on the live twin: downsampled signals, the derived score series,
events on the same axis; bad input answers with what is wrong."""

from __future__ import annotations

from fastapi.testclient import TestClient

from jayul.records.timebase import NS_PER_H
from jayul.server import LiveState

from .conftest import Login


def test_explore_a_week_with_score_and_events(
    client: TestClient, login: Login, live: LiveState
) -> None:
    h = login(client, "vera")
    now = client.get("/api/plant", headers=h).json()["now_ns"]
    r = client.get(
        f"/api/explore/pump1?signals=vib_rms&start_ns={now - 700 * NS_PER_H}&end_ns={now}"
        "&buckets=200",
        headers=h,
    )
    assert r.status_code == 200, r.text
    d = r.json()
    assert len(d["time"]) <= 200 and d["bucket_ns"] * len(d["time"]) >= 700 * NS_PER_H
    vib = d["signals"]["vib_rms"]
    filled = [k for k, c in enumerate(vib["count"]) if c]
    assert filled and all(vib["min"][k] <= vib["mean"][k] <= vib["max"][k] for k in filled)
    assert sum(d["signals"]["score:anomaly"]["count"]) > 0  # written by the loop every tick
    assert {m["kind"] for m in d["markers"]} <= {"alert", "failure"}
    alerts = client.get("/api/events?kind=alert&machine=pump1&days=60", headers=h).json()
    in_range = [e for e in alerts if now - 700 * NS_PER_H <= e["time"] < now]
    assert len([m for m in d["markers"] if m["kind"] == "alert"]) == len(in_range)


def test_explore_says_what_is_wrong(client: TestClient, login: Login) -> None:
    h = login(client, "vera")
    assert client.get("/api/explore/nope", headers=h).status_code == 404
    r = client.get("/api/explore/pump1?signals=vib_rms,bogus", headers=h)
    assert r.status_code == 404 and "bogus" in r.json()["detail"]
    r = client.get("/api/explore/pump1?start_ns=10&end_ns=5", headers=h)
    assert r.status_code == 422
