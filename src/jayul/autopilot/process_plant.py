"""The process twin as a `PlantPort`: a continuous process under the same autopilot.

A process has units, not machines that wear: every unit runs while the process runs and is
down once it tripped (a shutdown event says when and why). It has no maintenance actions, no
run-hour counters and no open work; what the autopilot acts on are the control loops'
setpoints, and `fork()` gives the process twin at this moment for the verifier to try a
setpoint change on.
"""

from __future__ import annotations

from collections.abc import Mapping

from jayul.autopilot.plant_port import MachineReading, PlantUpdate
from jayul.decide.plan import Plan
from jayul.decide.policy import LiveCondition
from jayul.plant.model import Plant
from jayul.records import Action, ActionKind, Event, EventKind, MachineState
from jayul.twin.process import ProcessTwin


class ProcessPlant:
    """A `ProcessTwin` behind the `PlantPort` interface."""

    def __init__(self, twin: ProcessTwin) -> None:
        self.twin = twin
        self._plan: Plan | None = None
        self._trip_said = False

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
        events: tuple[Event, ...] = ()
        if self.twin.tripped and not self._trip_said:
            self._trip_said = True
            events = tuple(
                Event(
                    time=self.time_ns(),
                    machine=mid,
                    kind=EventKind.FAILURE,
                    payload={"mode": "process_shutdown", "reason": self.twin.ledger.shutdown},
                )
                for mid in self.model.machine_ids
            )
        return PlantUpdate(self.twin.drain_samples(), events, state_events=False)

    def machines(self) -> Mapping[str, MachineReading]:
        state = MachineState.DOWN if self.twin.tripped else MachineState.RUNNING
        return {
            mid: MachineReading(id=mid, state=state, setpoints=self.twin.setpoints(mid))
            for mid in self.model.machine_ids
        }

    def execute(self, action: Action) -> bool:
        if action.kind is not ActionKind.CHANGE_SETPOINT:
            raise ValueError(
                f"a process plant carries out setpoint changes only, not {action.kind.value!r}"
            )
        if self.twin.tripped:
            return False  # a tripped process takes no new targets until it is restarted
        self.twin.set_setpoint(
            action.machine, str(action.params["setpoint"]), float(action.params["value"])
        )
        return True

    def production(self) -> None:
        return None  # a continuous process has no orders to dispatch

    def follow(self, plan: Plan | None) -> None:
        self._plan = plan

    def plan(self) -> Plan | None:
        return self._plan

    def fork(self, condition: LiveCondition | None = None) -> ProcessTwin:
        return self.twin.fork()  # the process twin's state is the plant's: no condition needed

    def kpis(self) -> None:
        return None  # the process keeps its own ledger (`twin.ledger`), not factory KPIs
