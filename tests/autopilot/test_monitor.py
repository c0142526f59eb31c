"""The health monitor on the twin: a degrading machine raises an alert before it fails,
naming the signals its failure mode moves."""

from __future__ import annotations

from jayul.autopilot import Autopilot, HealthMonitor
from jayul.decide.baselines import Reactive
from jayul.historian.open import open_historian
from jayul.plant import load_demo_plant
from jayul.records import EventKind
from jayul.twin import Twin


def test_degradation_raises_an_alert_before_failure_naming_its_signals() -> None:
    plant = load_demo_plant()
    twin = Twin(plant, seed=1, signal_period_s=300)
    with open_historian(":memory:") as hist:
        pilot = Autopilot(
            twin, Reactive(), monitor=HealthMonitor(plant), historian=hist, flush_every=1
        )
        while twin.now_h < 24 * 90 and twin.ledger.failures == 0:
            pilot.tick()
        failure = hist.query_events(kinds=[EventKind.FAILURE])[0]
        alerts = hist.query_events(
            kinds=[EventKind.ALERT], machine=failure.machine, end_ns=failure.time
        )
    assert failure.machine is not None
    assert alerts, f"{failure.machine} failed ({failure.payload}) without an alert"
    mode = next(
        f
        for f in plant.machine_type(failure.machine).failure_modes
        if f.id == failure.payload["mode"]
    )
    top = {c["signal"] for c in alerts[0].payload["contributions"][:3]}
    assert top & set(mode.effects), (top, mode.effects)
    # hysteresis: one episode, a few alerts at most, not a flicker
    assert len(alerts) <= 3
