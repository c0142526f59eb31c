"""The process view's API (`GET /api/process`) over the process twin under the autopilot: the
units' measured variables with the product limits, each unit's monitor against its control
limit, the diagnosis of an injected fault (IDV 6, the A feed lost) and the setpoint change
waiting for a person at L2."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
from conftest import Login
from process_state import OPERATOR, process_live_state

from jayul.server import LiveState, create_app

pytest.importorskip("tep_studio", reason="the process twin needs the process extra")


@pytest.fixture(scope="module")
def process_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveState]:
    state = process_live_state(str(tmp_path_factory.mktemp("process") / "plant.duckdb"))
    yield state
    state.stop()


def test_the_process_view(process_state: LiveState) -> None:
    with TestClient(create_app(process_state)) as client:
        r = client.post("/api/login", json={"username": OPERATOR[0], "password": OPERATOR[1]})
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        view = client.get("/api/process", headers=headers).json()
    assert view["available"]
    units = {u["machine"]: u for u in view["units"]}
    assert list(units) == ["feed", "reactor", "separator", "compressor", "stripper"]
    feed = units["feed"]
    assert feed["fitted"] and feed["control_limit"] > 0 and feed["alarm"]
    assert feed["score"] > 1.0  # past its control limit
    assert len(feed["history"]["time"]) == len(feed["history"]["score"]) > 60
    top = feed["diagnosis"]["variables"][0]
    assert (top["signal"], top["direction"]) == ("feed_A_flow", -1)
    product = {s["id"]: s for s in units["stripper"]["signals"]}["stripper_underflow"]
    assert (product["low"], product["high"]) == (21.8, 24.1) and product["value"] > 0
    assert units["reactor"]["setpoints"]["reactor_pressure"] == 2705.0
    (waiting,) = view["proposals"]
    assert waiting["action"]["params"] == {"setpoint": "reactor_pressure", "value": 2730.0,
                                           "unit": "kPa"}  # fmt: skip
    assert view["ledger"]["carbon_kg_per_m3"] > 0
    assert view["emissions"]["electricity_kg_co2e_per_kwh"] == 0.46


def test_a_discrete_plant_has_no_process_view(client: TestClient, login: Login) -> None:
    view = client.get("/api/process", headers=login(client, "olga")).json()
    assert view == {"available": False, "reason": "plant 'demo' is not a continuous process"}
