"""The live state: RUL from the autopilot's RUL monitor when one runs, honest None otherwise;
the signal ring."""

from __future__ import annotations

import numpy as np

from jayul.autopilot import Autopilot, HealthMonitor
from jayul.decide.named import make_policy
from jayul.decide.policy import RulView
from jayul.plant import demo_plant_path, load_plant
from jayul.server.live import LiveState
from jayul.server.ring import SignalRing
from jayul.twin import Twin


class FakeRul:
    def view(self, machine: str) -> dict[str, RulView] | None:
        if machine != "pump1":
            return None
        return {
            "bearing_wear": RulView((0.1, 0.5, 0.9), (50.0, 100.0, 200.0)),
            "impeller_wear": RulView((0.1, 0.5, 0.9), (20.0, 40.0, 90.0)),
        }


def _pilot() -> Autopilot:
    plant = load_plant(demo_plant_path())
    twin = Twin(plant, seed=1)
    return Autopilot(twin, make_policy("condition", plant), monitor=HealthMonitor(plant))


def test_rul_comes_from_the_rul_monitor_when_one_runs() -> None:
    pilot = _pilot()
    pilot.rul_monitor = FakeRul()  # type: ignore[assignment]
    state = LiveState(pilot.twin.plant, pilot, None, ":memory:")
    rul = state.rul("pump1")
    assert rul is not None and rul["mode"] == "impeller_wear"  # the soonest of the two
    assert rul["low_h"] <= rul["median_h"] <= rul["high_h"]
    assert state.rul("cnc1") is None


def test_no_rul_monitor_no_rul() -> None:
    pilot = _pilot()
    state = LiveState(pilot.twin.plant, pilot, None, ":memory:")
    state.tick()
    assert state.rul("pump1") is None and state.rul_provider is None


def test_ring_keeps_the_newest_rows_in_order() -> None:
    ring = SignalRing(["a", "b"], capacity=4)
    for k in range(3):
        t = np.arange(3, dtype=np.int64) + 3 * k
        ring.append(t, np.column_stack([t, -t]).astype(float), float(k))
    t, rows = ring.last(10)
    assert t.tolist() == [5, 6, 7, 8]
    assert rows[:, 0].tolist() == [5, 6, 7, 8] and rows[:, 2].tolist() == [1, 2, 2, 2]
    assert ring.last(10, since_ns=6)[0].tolist() == [7, 8]
    assert ring.as_json(2) == ring.as_json(2)  # cached until the next append
    before = ring.version
    ring.append(np.array([9]), np.array([[9.0, -9.0]]), float("nan"))
    assert ring.version == before + 1 and b"null" in ring.as_json(1)
