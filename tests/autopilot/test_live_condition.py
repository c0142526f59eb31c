"""The verify stage hands the plant's fork the live RUL monitor's estimates, so a calibrated
twin (which cannot see the plant's health) starts each failure mode where the plant stands."""

from __future__ import annotations

from collections.abc import Iterable

from jayul.autopilot.setup import assemble
from jayul.autopilot.twin_plant import TwinPlant
from jayul.decide.baselines import Preventive
from jayul.decide.policy import LiveCondition, RulView
from jayul.gate import AutonomyLevel
from jayul.plant import load_demo_plant
from jayul.records import Event, Samples
from jayul.twin import Twin
from jayul.verify import Verifier

SHORT = RulView((0.1, 0.5, 0.9), (5.0, 10.0, 20.0), age_h=300.0)


class FixedRul:
    """A RUL monitor that says every pump's bearing has about ten hours left."""

    def update(self, samples: Samples | None, events: Iterable[Event], now_ns: int) -> None:
        pass

    def view(self, machine: str) -> dict[str, RulView] | None:
        return {"bearing_wear": SHORT} if machine.startswith("pump") else None


class RecordingPlant(TwinPlant):
    def __init__(self, twin: Twin) -> None:
        super().__init__(twin)
        self.conditions: list[LiveCondition | None] = []

    def fork(self, condition: LiveCondition | None = None) -> Twin:
        self.conditions.append(condition)
        return super().fork(condition)


def test_the_fork_gets_the_live_rul_of_every_machine_that_has_one() -> None:
    plant = load_demo_plant()
    twin = Twin(plant, seed=0, signals=False)
    twin.run_until(24 * 40)
    port = RecordingPlant(twin)
    assembly = assemble(plant, port, "preventive", None, ":memory:", AutonomyLevel.L3, Verifier(2))
    due = {(t, f.id): 1.0 for t, mt in plant.machine_types.items() for f in mt.failure_modes}
    assembly.pilot.policy = Preventive(due)
    assembly.pilot.rul_monitor = FixedRul()  # type: ignore[assignment]
    assembly.pilot.tick()
    assert port.conditions, "no action was verified"
    condition = port.conditions[0]
    assert condition is not None
    pumps = {m.id for m in plant.machines if m.type == "pump"}
    assert set(condition) == pumps
    assert all(dict(v) == {"bearing_wear": SHORT} for v in condition.values())
