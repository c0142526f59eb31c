"""The twin as a `PlantPort`: a thin adapter over `jayul.twin.Twin`.

The twin's statuses map onto the one state vocabulary: busy -> running, idle -> idle, waiting
for a maintenance crew or under maintenance -> maintenance, down -> down.
"""

from __future__ import annotations

from collections.abc import Mapping

from jayul.autopilot.plant_port import MachineReading, PlantUpdate
from jayul.autopilot.production import PlanDispatcher, production_view
from jayul.decide.plan import Plan
from jayul.decide.policy import LiveCondition
from jayul.decide.production import ProductionView
from jayul.plant.model import Plant
from jayul.records import Action, ActionKind, MachineState
from jayul.twin import Status, Twin
from jayul.twin.kpis import Kpis

STATE_OF_STATUS = {
    Status.BUSY: MachineState.RUNNING,
    Status.IDLE: MachineState.IDLE,
    Status.WAIT_CREW: MachineState.MAINTENANCE,
    Status.MAINTENANCE: MachineState.MAINTENANCE,
    Status.DOWN: MachineState.DOWN,
}


class TwinPlant:
    """The simulated factory behind the `PlantPort` interface."""

    def __init__(self, twin: Twin) -> None:
        self.twin = twin
        self._dispatcher: PlanDispatcher | None = None

    @property
    def model(self) -> Plant:
        return self.twin.plant

    @property
    def now_h(self) -> float:
        return self.twin.now_h

    def time_ns(self) -> int:
        return self.twin.time_ns()

    def advance(self, hours: float) -> None:
        self.twin.step(hours)

    def collect(self) -> PlantUpdate:
        samples = self.twin.drain_samples() if self.twin.signals else None
        events = tuple(self.twin.drain_events())
        return PlantUpdate(samples, events, state_events=self.twin.record_events)

    def machines(self) -> Mapping[str, MachineReading]:
        return {
            mid: MachineReading(
                id=mid,
                state=STATE_OF_STATUS[m.status],
                run_hours_since=dict(m.run_hours_since),
                pending_work=tuple(m.pending_maintenance),
                setpoints=dict(m.setpoints),
                failed_mode=m.failed_mode,
            )
            for mid, m in self.twin.machines.items()
        }

    def execute(self, action: Action) -> bool:
        if action.kind is ActionKind.START_MAINTENANCE:
            return self.twin.request_maintenance(action.machine, str(action.params["action"]))
        if action.kind is ActionKind.CHANGE_SETPOINT:
            self.twin.set_setpoint(
                action.machine, str(action.params["setpoint"]), float(action.params["value"])
            )
            return True
        raise ValueError(f"the twin cannot carry out {action.kind.value!r} actions")

    def production(self) -> ProductionView:
        return production_view(self.twin)

    def follow(self, plan: Plan | None) -> None:
        # The twin dispatches by earliest due date until a plan is first given; from then on
        # by the plan in force (its forks share the dispatcher, so the verifier's futures
        # follow the same plan).
        if self._dispatcher is None:
            if plan is None:
                return
            self._dispatcher = PlanDispatcher()
            self.twin.dispatcher = self._dispatcher
        self._dispatcher.plan = plan

    def plan(self) -> Plan | None:
        return self._dispatcher.plan if self._dispatcher is not None else None

    def fork(self, condition: LiveCondition | None = None) -> Twin:
        """The twin itself, forked: its state is the plant's, so `condition` adds nothing."""
        return self.twin.fork()

    def kpis(self) -> Kpis:
        return self.twin.kpis()
