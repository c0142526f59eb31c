"""The fleet console's API: sites side by side with state, alarm counts and KPIs, read from
the centre's PostgreSQL."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from jayul.fleet.api import create_fleet_app
from jayul.records import Event, EventKind

from .conftest import Fleet, wait_for


def test_sites_side_by_side(fleet: Fleet) -> None:
    a, b = fleet.site("north"), fleet.site("south")
    now = time.time_ns()
    a.offer_kpis({"oee": 0.81})  # with nothing queued before it: the site reports no backlog
    a.offer_events([Event(time=now - i, machine="pump1", kind=EventKind.ALERT) for i in range(3)])
    b.offer_kpis({"oee": 0.64})
    for site in (a, b):
        site.start()
    centre = fleet.centre().start()
    try:
        client = TestClient(create_fleet_app(centre, offline_after_s=60))
        wait_for(
            lambda: (
                len(client.get("/api/fleet/sites").json()["sites"]) == 2
                and centre.stats.stored == 3
            ),
            what="both sites at the centre",
        )
        body = client.get("/api/fleet/sites").json()
        assert "jayul fleet" in client.get("/").text
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
