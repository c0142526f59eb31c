"""The console tells the truth: refusals with their reasons, every model in use with card and
scorecard, the plan in force from the planner, RUL past the models' cap as "at least", one
clock said on screen."""

from __future__ import annotations

from types import SimpleNamespace

from fastapi.testclient import TestClient

from jayul.autopilot import Autopilot
from jayul.decide.plan import Plan, ScheduledMaintenance
from jayul.decide.policy import Observation, RulView
from jayul.plant import demo_plant_path, load_plant
from jayul.plant.model import Plant
from jayul.records import Action
from jayul.server import LiveState

from .conftest import Login


def test_a_refusal_is_listed_with_its_reason(client: TestClient, login: Login) -> None:
    engineer = login(client, "erik")
    body = {
        "machine": "pump1",
        "kind": "change_setpoint",
        "params": {"setpoint": "speed_rpm", "value": 99999, "unit": "rpm"},
        "risk": "medium",
    }
    out = client.post("/api/actions", json=body, headers=engineer).json()
    assert out["status"] == "refused" and out["check"] == "interlock"
    found = client.get("/api/refusals?machine=pump1", headers=login(client, "vera")).json()
    assert found["count"] >= 1
    first = found["refusals"][0]
    assert first["check"] == "interlock" and first["action"] == "change_setpoint"
    assert first["reason"] == out["reason"] and first["proposer"] == "user:erik"


def test_every_model_in_use_has_a_card_and_a_scorecard(client: TestClient, login: Login) -> None:
    used = client.get("/api/models-in-use", headers=login(client, "vera")).json()
    detectors = [m for m in used if m["kind"] == "anomaly detector"]
    assert len(detectors) == 12  # one per machine of the demo plant
    for m in used:
        assert m["card"]["intended_use"] and m["card"]["limits"]
        ratings = [m["scorecard"][k]["evidence"] for k in ("robustness", "data_quality", "drift")]
        assert all(ratings)
        assert m["scorecard"]["overall"] in ("low", "medium", "high", "critical")


def test_the_clock_is_said(client: TestClient, login: Login) -> None:
    plant = client.get("/api/plant", headers=login(client, "vera")).json()
    assert "simulated plant time" in plant["clock"]


class _Planner:
    """A policy that keeps a plan in force, as the predictive policy does."""

    name = "stub-planner"

    def __init__(self) -> None:
        maint = ScheduledMaintenance("pump1", "replace_bearing", 10.0, 14.0, "mech", "RUL low")
        self.plan_ = Plan((), (maint,), 123.0, "OPTIMAL", 0.1)

    def decide(self, plant: Plant, obs: Observation) -> list[Action]:
        return []


def test_the_plan_in_force_comes_from_the_policy() -> None:
    from jayul.twin import Twin

    plant = load_plant(demo_plant_path())
    pilot = Autopilot(Twin(plant, seed=0, signals=False), _Planner())  # type: ignore[arg-type]
    state = LiveState(plant, pilot, None, ":memory:")
    plan = state.plan()
    assert plan is not None and plan.maintenance[0].action_id == "replace_bearing"


def test_rul_at_the_models_cap_reads_beyond() -> None:
    at_cap = RulView((0.1, 0.5, 0.9), (590.0, 598.0, 600.0))
    soon = RulView((0.1, 0.5, 0.9), (40.0, 80.0, 160.0))
    views = {"pump1": {"bearing_wear": at_cap, "seal_leak": soon}}
    pilot = SimpleNamespace(rul_monitor=SimpleNamespace(view=views.get))
    fake = SimpleNamespace(pilot=pilot, rul_cap_h=lambda: 600.0)
    out = LiveState._from_rul_monitor(fake, "pump1")  # type: ignore[arg-type]
    assert out is not None
    assert out["mode"] == "seal_leak" and not out["beyond"]
    assert out["modes"]["bearing_wear"]["beyond"] and out["modes"]["bearing_wear"]["cap_h"] == 600
