"""The twin: determinism, wear and failures, maintenance, crews, signals, fork."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.plant import load_demo_plant
from jayul.records import EventKind
from jayul.twin import Status, Twin


@pytest.fixture(scope="module")
def plant():  # type: ignore[no-untyped-def]
    return load_demo_plant()


def test_same_seed_same_history(plant) -> None:  # type: ignore[no-untyped-def]
    a, b = Twin(plant, seed=3), Twin(plant, seed=3)
    a.run_until(48)
    b.run_until(48)
    sa, sb = a.drain_samples(), b.drain_samples()
    assert len(sa) > 0
    np.testing.assert_array_equal(sa.value, sb.value)
    assert a.kpis() == b.kpis()
    c = Twin(plant, seed=4)
    c.run_until(48)
    assert not np.array_equal(c.drain_samples().value[:1000], sa.value[:1000])


def test_signals_cover_every_machine_at_their_period(plant) -> None:  # type: ignore[no-untyped-def]
    twin = Twin(plant, seed=0)
    twin.run_until(2)
    s = twin.drain_samples()
    for spec in plant.machines:
        mt = plant.machine_types[spec.type]
        rows = s.machine == spec.id
        # two hours of one-minute signals
        assert rows.sum() == 120 * len(mt.signals)
        assert set(s.signal[rows]) == {sig.id for sig in mt.signals}
    assert np.all(np.diff(s.time[(s.machine == "pump1") & (s.signal == "flow")]) == 60 * 10**9)


def test_machines_fail_without_maintenance_and_repairs_cost(plant) -> None:  # type: ignore[no-untyped-def]
    twin = Twin(plant, seed=1, signals=False)
    twin.run_until(24 * 120)
    k = twin.kpis()
    assert k.failures > 0
    assert k.failure_cost > 0
    kinds = [e.kind for e in twin.drain_events()]
    assert kinds.count(EventKind.FAILURE) == k.failures
    assert kinds.count(EventKind.REPAIR_END) <= k.failures


def test_maintenance_restores_health_and_uses_a_crew(plant) -> None:  # type: ignore[no-untyped-def]
    twin = Twin(plant, seed=2, signals=False)
    twin.run_until(24 * 20)
    m = twin.machines["pump1"]
    assert m.health["bearing_wear"] > 0
    assert twin.request_maintenance("pump1", "bearing_service")
    twin.run_until(twin.now_h + 12)
    assert m.health["bearing_wear"] < 0.05
    assert twin.ledger.maintenances >= 1
    assert sum(twin.crews_free.values()) <= sum(plant.crews.values())
    with pytest.raises(ValueError, match="no maintenance action"):
        twin.request_maintenance("pump1", "die_change")


def test_maintenance_can_be_signed_off_early(plant) -> None:  # type: ignore[no-untyped-def]
    twin = Twin(plant, seed=2, signals=False)
    twin.run_until(24 * 20)
    assert not twin.end_maintenance_now("pump1")  # nothing in progress
    free = dict(twin.crews_free)
    assert twin.request_maintenance("pump1", "bearing_service")
    while twin.machines["pump1"].status is not Status.MAINTENANCE:
        twin.step(0.25)
    assert twin.end_maintenance_now("pump1")
    m = twin.machines["pump1"]
    assert m.status is not Status.MAINTENANCE
    assert m.health["bearing_wear"] < 0.05
    assert twin.ledger.maintenances == 1
    ends = [e for e in twin.drain_events() if e.kind is EventKind.MAINTENANCE_END]
    assert [e.machine for e in ends] == ["pump1"]
    twin.run_until(twin.now_h + 12)  # the cancelled planned end never fires
    assert twin.ledger.maintenances == 1
    assert twin.crews_free == free


def test_crews_are_limited(plant) -> None:  # type: ignore[no-untyped-def]
    twin = Twin(plant, seed=2, signals=False)
    twin.run_until(5)
    for mid in ("press1", "press2", "press3", "pump1"):
        twin.request_maintenance(mid, "die_change" if "press" in mid else "bearing_service")
    twin.run_until(twin.now_h + 4)
    in_maintenance = [m for m in twin.machines.values() if m.status is Status.MAINTENANCE]
    assert len(in_maintenance) <= plant.crews["mechanics"]


def test_setpoints_stay_inside_the_envelope(plant) -> None:  # type: ignore[no-untyped-def]
    twin = Twin(plant, seed=0)
    twin.set_setpoint("pump1", "speed_rpm", 1600)
    with pytest.raises(ValueError, match="envelope"):
        twin.set_setpoint("pump1", "speed_rpm", 5000)
    with pytest.raises(ValueError, match="envelope"):
        twin.set_setpoint("pump1", "speed_rpm", float("nan"))


def test_fork_diverges_only_by_what_was_done_to_it(plant) -> None:  # type: ignore[no-untyped-def]
    parent = Twin(plant, seed=5)
    parent.run_until(24 * 10)
    parent.drain_samples()
    parent.drain_events()
    same = parent.fork(signals=True)
    changed = parent.fork(signals=True)
    changed.request_maintenance("cnc1", "spindle_service")
    for t in (parent, same, changed):
        t.run_until(24 * 12)
    # an untouched fork repeats its parent exactly
    assert same.kpis() == parent.kpis()
    np.testing.assert_array_equal(same.drain_samples().value, parent.drain_samples().value)
    # the changed fork differs, and the parent never saw the maintenance
    assert changed.ledger.maintenances == parent.ledger.maintenances + 1
    assert changed.kpis() != parent.kpis()
    # a fork with a new seed samples another future
    other = parent.fork(seed=99)
    other.run_until(24 * 30)
    again = parent.fork(seed=99)
    again.run_until(24 * 30)
    assert other.kpis() == again.kpis()


def test_a_fork_with_signals_of_a_twin_without_them_signals_from_the_fork(plant) -> None:  # type: ignore[no-untyped-def]
    twin = Twin(plant, seed=5, signals=False)
    twin.run_until(30.5)
    assert len(twin.drain_samples()) == 0
    fork = twin.fork(signals=True)
    fork.run_until(33)
    s = fork.drain_samples()
    assert len(s) > 0 and int(s.time.min()) >= fork.time_ns(30.5)
    assert fork.total_cost() == fork.kpis().total_cost


def test_signals_started_late_read_the_machines_as_they_are_now(plant) -> None:  # type: ignore[no-untyped-def]
    # a back-test warms up without signals, then turns them on: the signals must show the
    # wear reached by then, as a twin that had signals all along shows it
    late = Twin(plant, seed=7, signals=False)
    late.run_until(400)
    late.start_signals()
    late.run_until(430)
    always = Twin(plant, seed=7, signals=True)
    always.run_until(400)
    always.drain_samples()
    always.run_until(430)
    a, b = late.drain_samples(), always.drain_samples()
    assert len(a) == len(b) > 0
    mean_a, mean_b = float(np.mean(a.value)), float(np.mean(b.value))
    assert abs(mean_a - mean_b) < 0.02 * abs(mean_b)
