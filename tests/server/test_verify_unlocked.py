"""Verifying a proposal on the twin lets go of the plant's lock: requests that take it (the
approval queue, the kill switch) answer while the futures run, and the gate still decides on
the conditions in force when the verdict comes back. A verifier held on an event makes it
deterministic: the proposal is mid-verification for as long as the test wants."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jayul.autopilot import Autopilot, HealthMonitor
from jayul.autopilot.setup import gate_for
from jayul.autopilot.twin_plant import TwinPlant
from jayul.decide.policy import Observation
from jayul.gate import AutonomyLevel
from jayul.plant import demo_plant_path, load_plant
from jayul.plant.model import Plant
from jayul.records import Action
from jayul.server import LiveState, create_app
from jayul.server.users import Role
from jayul.twin import Twin
from jayul.verify import Verifier
from jayul.verify.verifier import Verdict

HANG_GUARD_S = 60.0  # only so a broken build fails instead of hanging; never reached when fine
MAINTAIN = {
    "machine": "pump1",
    "kind": "start_maintenance",
    "params": {"action": "bearing_service"},
}


class HeldVerifier(Verifier):
    """Accepts every plan, after `release` is set when `hold` is on (`started` says it began)."""

    def __init__(self) -> None:
        super().__init__(futures=1, horizon_h=1.0)
        self.hold = False
        self.started = threading.Event()
        self.release = threading.Event()

    def verify(
        self,
        twin: Twin,
        proposed: Sequence[tuple[float, Action]],
        current: Sequence[tuple[float, Action]] | None = None,
    ) -> Verdict:
        if self.hold:
            self.started.set()
            assert self.release.wait(HANG_GUARD_S), "the test never released the verifier"
        costs = {"total_cost": 0.0}
        return Verdict(True, "accepted by the held verifier", costs, costs)


class MaintainWhenArmed:
    """Proposes a bearing service on pump1 at the one tick it is armed for."""

    name = "condition"  # an origin the gate knows

    def __init__(self) -> None:
        self.armed = False

    def decide(self, plant: Plant, obs: Observation) -> list[Action]:
        if not self.armed:
            return []
        self.armed = False
        return [Action.model_validate({**MAINTAIN, "time": obs.now_ns, "origin": self.name})]


class HeldPlant:
    """The demo plant behind the API, its autopilot verifying with the held verifier."""

    def __init__(self, db: Path, level: AutonomyLevel) -> None:
        plant = load_plant(demo_plant_path())
        port = TwinPlant(Twin(plant, seed=0))
        self.gate = gate_for(plant, port, str(db), level)
        self.verifier = HeldVerifier()
        self.policy = MaintainWhenArmed()
        pilot = Autopilot(
            port, self.policy, monitor=HealthMonitor(plant), verifier=self.verifier, gate=self.gate
        )
        self.state = LiveState(plant, pilot, None, str(db), speed=3600.0, gate=self.gate)
        self.state.users.add("erik", Role.ENGINEER, "engineer-pass-1", by="test")


@pytest.fixture
def client_of(tmp_path: Path) -> Iterator[Any]:
    opened: list[TestClient] = []

    def make(level: AutonomyLevel) -> tuple[HeldPlant, TestClient, dict[str, str]]:
        p = HeldPlant(tmp_path / f"{level.name}.duckdb", level)
        client = TestClient(create_app(p.state)).__enter__()
        opened.append(client)
        r = client.post("/api/login", json={"username": "erik", "password": "engineer-pass-1"})
        return p, client, {"Authorization": f"Bearer {r.json()['token']}"}

    yield make
    for c in opened:
        c.__exit__(None, None, None)


def _in_thread(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        out["result"] = fn()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def _lock_is_free(state: LiveState) -> bool:
    if not state.lock.acquire(blocking=False):
        return False
    state.lock.release()
    return True


def test_a_proposal_being_verified_does_not_hold_the_lock(client_of: Any) -> None:
    p, client, erik = client_of(AutonomyLevel.L2)
    p.verifier.hold = True
    body = {**MAINTAIN, "idempotency_key": "k1"}
    thread, out = _in_thread(lambda: client.post("/api/actions", json=body, headers=erik))
    try:
        assert p.verifier.started.wait(HANG_GUARD_S)
        assert _lock_is_free(p.state)  # mid-verification, nothing holds the lock
        queue = client.get("/api/approvals", headers=erik)  # takes the lock: answers now
        assert queue.status_code == 200 and queue.json() == []
        # the same key again while its proposal is verified: refused, not proposed twice
        again = client.post("/api/actions", json=body, headers=erik)
        assert again.status_code == 409 and "still being verified" in again.json()["detail"]
    finally:
        p.verifier.release.set()
        thread.join(HANG_GUARD_S)
    first = out["result"].json()
    assert first["status"] == "pending" and first["replay"] is False  # L2: a person decides
    assert [a["id"] for a in client.get("/api/approvals", headers=erik).json()] == [
        first["approval_id"]
    ]
    replay = client.post("/api/actions", json=body, headers=erik).json()
    assert replay == {**first, "replay": True}


def test_the_kill_pulled_while_verifying_holds_at_the_gate(client_of: Any) -> None:
    p, client, erik = client_of(AutonomyLevel.L3)
    p.verifier.hold = True
    thread, out = _in_thread(lambda: client.post("/api/actions", json=MAINTAIN, headers=erik))
    try:
        assert p.verifier.started.wait(HANG_GUARD_S)
        assert _lock_is_free(p.state)
        killed = client.post("/api/kill", json={"reason": "stop now"}, headers=erik)
        assert killed.status_code == 200
    finally:
        p.verifier.release.set()
        thread.join(HANG_GUARD_S)
    outcome = out["result"].json()
    # accepted on the twin and at L3 it would have run; the kill in force at gate time wins
    assert outcome["status"] == "monitored" and outcome["level"] == "L0", outcome
    assert not p.state.pilot.twin.machines["pump1"].pending_maintenance


def test_the_live_tick_lets_go_of_the_lock_while_verifying(client_of: Any) -> None:
    p, client, erik = client_of(AutonomyLevel.L3)
    p.verifier.hold, p.policy.armed = True, True
    thread, _ = _in_thread(p.state.tick)
    try:
        assert p.verifier.started.wait(HANG_GUARD_S)
        assert _lock_is_free(p.state)
        assert client.get("/api/approvals", headers=erik).status_code == 200
    finally:
        p.verifier.release.set()
        thread.join(HANG_GUARD_S)
    # verified (accepted) and at L3 carried out, as under the lock throughout
    assert p.state.pilot.counters.actions_executed == 1
    assert p.gate.recent[-1].outcome.status.value == "executed"
