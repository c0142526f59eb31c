"""The fleet console's API: sites side by side with state, alarm counts and KPIs, read from
the centre's PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from jayul.fleet.api import create_fleet_app
from jayul.fleet.auth import open_fleet_auth
from jayul.records import Event, EventKind

from .conftest import Fleet, wait_for


def test_sites_side_by_side(fleet: Fleet, tmp_path: Path) -> None:
    a, b = fleet.site("north"), fleet.site("south")
    now = time.time_ns()
    a.offer_kpis({"oee": 0.81})  # with nothing queued before it: the site reports no backlog
    a.offer_events([Event(time=now - i, machine="pump1", kind=EventKind.ALERT) for i in range(3)])
    b.offer_kpis({"oee": 0.64})
    for site in (a, b):
        site.start()
    centre = fleet.centre().start()
    try:
        auth = open_fleet_auth(tmp_path / "users.duckdb", admin_password="fleet-admin-pw")
        client = TestClient(create_fleet_app(centre, auth, offline_after_s=60))
        # without a login: the page is the login form (401) and the data is refused
        refused = client.get("/")
        assert refused.status_code == 401 and "log in" in refused.text
        assert "north" not in refused.text
        assert client.get("/api/fleet/sites").status_code == 401
        bad = client.post("/api/login", json={"username": "admin", "password": "wrong-pw"})
        assert bad.status_code == 401
        ok = client.post("/api/login", json={"username": "admin", "password": "fleet-admin-pw"})
        assert ok.status_code == 200  # the session cookie is set on the client from here on
        wait_for(
            lambda: (
                len(client.get("/api/fleet/sites").json()["sites"]) == 2
                and centre.stats.stored == 3
            ),
            what="both sites at the centre",
        )
        body = client.get("/api/fleet/sites").json()
        page = client.get("/")
        assert page.status_code == 200 and "api/fleet/sites" in page.text
    finally:
        for site in (a, b):
            site.close()
        centre.stop()
    sites = {s["site"]: s for s in body["sites"]}
    assert sites["north"]["alerts"] == 3 and sites["north"]["alerts_24h"] == 3
    assert sites["south"]["alerts"] == 0
    assert (sites["north"]["kpis"], sites["south"]["kpis"]) == ({"oee": 0.81}, {"oee": 0.64})
    assert {s["state"] for s in sites.values()} == {"online"}
    assert body["centre"]["connected"] is True and body["centre"]["stored"] == 3


def test_a_console_without_users_is_refused(tmp_path: Path) -> None:
    import pytest

    with pytest.raises(ValueError, match="no users"):
        open_fleet_auth(tmp_path / "empty.duckdb")
