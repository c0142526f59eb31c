"""The autopilot loop: historian writes, policy actions reach the twin."""

from __future__ import annotations

from jayul.autopilot import Autopilot
from jayul.decide.baselines import Preventive
from jayul.historian.open import open_historian
from jayul.plant import load_demo_plant
from jayul.records import EventKind
from jayul.twin import Twin


def test_loop_stores_samples_and_events_and_carries_out_actions() -> None:
    plant = load_demo_plant()
    twin = Twin(plant, seed=0, signal_period_s=600)
    intervals = {(t, f.id): 50.0 for t, mt in plant.machine_types.items() for f in mt.failure_modes}
    with open_historian(":memory:") as hist:
        pilot = Autopilot(twin, Preventive(intervals), historian=hist, flush_every=5)
        pilot.run(24 * 5)
        assert hist.count_samples() == pilot.counters.samples > 0
        actions = hist.query_events(kinds=[EventKind.ACTION])
        done = hist.query_events(kinds=[EventKind.MAINTENANCE_END])
    assert pilot.counters.actions_executed > 0
    assert len(actions) == pilot.counters.actions_proposed
    assert done and twin.ledger.maintenances == len(done)
