"""The verifier on forked twins: a worn machine's maintenance is accepted, a needless one on a
fresh machine rejected, an unsafe plan rejected, and the parent twin is never touched."""

from __future__ import annotations

import time

import pytest

from jayul.plant import load_demo_plant
from jayul.records import Action, ActionKind
from jayul.twin import Twin
from jayul.verify import Verifier


@pytest.fixture(scope="module")
def twin() -> Twin:
    t = Twin(load_demo_plant(), seed=3, signals=False)
    t.run_until(24 * 40)
    return t


def _maintain(t: Twin, machine: str, action: str) -> Action:
    return Action(
        time=t.time_ns(),
        machine=machine,
        kind=ActionKind.START_MAINTENANCE,
        params={"action": action},
        origin="test",
    )


def test_worn_machine_maintenance_is_accepted(twin: Twin) -> None:
    mid, mode = max(
        ((m.id, k) for m in twin.machines.values() for k in m.health),
        key=lambda p: twin.machines[p[0]].health[p[1]],
    )
    action = next(a for a in twin.plant.machine_type(mid).maintenance if mode in a.restores)
    before = twin.kpis()
    verdict = Verifier(futures=4).verify(twin, [(0.0, _maintain(twin, mid, action.id))])
    assert verdict.accept, verdict.reason
    assert twin.kpis() == before  # the parent is untouched
    assert len(verdict.futures) == 4


def test_needless_maintenance_on_a_fresh_machine_is_rejected() -> None:
    fresh = Twin(load_demo_plant(), seed=4, signals=False)
    fresh.run_until(24)
    verdict = Verifier(futures=4).verify(
        fresh,
        [(0.0, _maintain(fresh, "cnc1", "spindle_service"))],
        current=[],  # against doing nothing
    )
    assert not verdict.accept
    assert "worse in expectation" in verdict.reason


def test_unsafe_plan_is_rejected(twin: Twin) -> None:
    bad = Action(
        time=twin.time_ns(),
        machine="pump1",
        kind=ActionKind.CHANGE_SETPOINT,
        params={"setpoint": "speed_rpm", "value": 9000.0},
        origin="test",
    )
    verdict = Verifier(futures=2).verify(twin, [(0.0, bad)], current=[])
    assert not verdict.accept and "unsafe" in verdict.reason


def test_verification_budget_small(twin: Twin) -> None:
    # the benchmark measures 8 futures x 7 days; here only that it runs and reports
    started = time.perf_counter()
    Verifier(futures=2, horizon_h=24).verify(twin, [(0.0, _maintain(twin, "pump1", "overhaul"))])
    assert time.perf_counter() - started >= 0
