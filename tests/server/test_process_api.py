"""The process view's API (`GET /api/process`) over the process twin under the autopilot: the
units' measured variables with the product limits, each unit's monitor against its control
limit, the diagnosis of an injected fault (IDV 6, the A feed lost) and the setpoint change
waiting for a person at L2; the soft sensor's prediction of the product analyser with its
interval, fitted and predicting from the past only."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
import numpy as np
from process_state import OPERATOR, process_live_state

from jayul.server import LiveState, create_app
from jayul.server.soft_sensor_view import SoftSensorPanel

# the `login` fixture of tests/server/conftest.py (not imported from there: another test
# folder's conftest may hold the module name `conftest` in the same run)
Login = Callable[[TestClient, str], dict[str, str]]

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
    soft = view["soft_sensor"]
    assert soft["available"] and soft["fit_readings"] >= 10
    assert soft["fitted_time"] <= view["now_ns"]
    assert soft["drift"] == []  # the process monitor watches the analyser: nothing drifted
    quantities = {q["signal"]: q for q in soft["quantities"]}
    assert len(quantities) == 5
    g = quantities["stripper_underflow_G_concentration"]
    assert g["low"] < g["prediction"] < g["high"] and 40 < g["prediction"] < 70
    assert g["unit"] == "mol%" and 40 < g["reading"] < 70
    assert g["sample_time"] < g["reading_time"] <= view["now_ns"]
    times = soft["time"]
    for q in quantities.values():
        h = q["history"]
        assert len(h["prediction"]) == len(h["low"]) == len(h["reading"]) == len(times) > 60
        shown = [i for i, p in enumerate(h["prediction"]) if p is not None]
        # predictions only from the fit's row on, each inside its own interval
        assert shown and all(times[i] >= soft["fitted_time"] for i in shown)
        assert all(h["low"][i] <= h["prediction"][i] <= h["high"][i] for i in shown)
        # readings drawn at the sample's time: some after the fit to check the prediction by
        assert sum(h["reading"][i] is not None for i in shown) >= 2


def test_the_soft_sensor_never_sees_the_future(process_state: LiveState) -> None:
    """The fit at row f and the prediction at row t use nothing after them: replacing every
    later row (measurements and analyser readings) changes neither."""
    panel = process_state.soft_sensor
    assert panel is not None and panel.fitted_ns is not None
    times, data = panel.rows(process_state.tap, 10_000)
    k = len(panel.inputs)
    f = int(np.searchsorted(times, panel.fitted_ns))
    rng = np.random.default_rng(0)
    future = data.copy()
    future[f + 1 :] = rng.normal(50.0, 30.0, future[f + 1 :].shape)  # another future
    for d in (data, future):
        fresh = SoftSensorPanel(process_state.plant)
        assert fresh.fit_from(process_state.tap, times, d) is None
        assert fresh.fitted_ns == panel.fitted_ns and fresh.sensor is not None
        point, low, high = fresh.sensor.predict(d[:, :k])
        expected, e_low, e_high = panel.sensor.predict(data[:, :k])  # type: ignore[union-attr]
        assert np.allclose(point[: f + 1], expected[: f + 1])
        assert np.allclose(high[: f + 1] - low[: f + 1], e_high[: f + 1] - e_low[: f + 1])
    # and a prediction at row t is the same whether or not the rows after t exist
    t = len(times) - 2 * panel.delay
    assert panel.sensor is not None
    cut, _, _ = panel.sensor.predict(data[: t + 1, :k])
    changed = data.copy()
    changed[t + 1 :, :k] += 25.0
    whole, _, _ = panel.sensor.predict(changed[:, :k])
    assert np.allclose(cut[t], whole[t])
    # with too little history the API says so instead of predicting
    early = SoftSensorPanel(process_state.plant)
    reason = early.fit_from(process_state.tap, times[:30], data[:30])
    assert reason is not None and "not enough history" in reason and early.sensor is None


def test_a_discrete_plant_has_no_process_view(client: TestClient, login: Login) -> None:
    view = client.get("/api/process", headers=login(client, "olga")).json()
    assert view == {"available": False, "reason": "plant 'demo' is not a continuous process"}
