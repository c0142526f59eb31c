"""An environment agent (a learned policy, say) as a `jayul.decide` policy, so the autopilot
runs it like any other: its requests then go through the executor the autopilot is given, the
verifier and the gate included (`autopilot.setup.assemble`).

The agent sees the observation it was trained on, rebuilt from what the loop observes. Two
parts the loop's `Observation` does not carry are filled as follows: `queue` from the
`queue` callable when given (e.g. `lambda: len(twin.ready)`), else 0; `alert` is 1 on the
ticks an alert is raised on the machine, where the environment keeps it at 1 while the alert is
active: a difference an agent trained with signals may notice.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from jayul.agents.gym.encoding import NO_INDICATOR, STATUSES, Layout
from jayul.agents.gym.policies import EnvAgent, Obs
from jayul.decide.policy import Observation
from jayul.plant.model import Plant
from jayul.records import Action, ActionKind, MachineState, RiskClass
from jayul.twin.state import Status

_TWIN_STATUS = {
    MachineState.RUNNING: Status.BUSY,
    MachineState.UNKNOWN: Status.BUSY,  # taken as running, as the loop does
    MachineState.IDLE: Status.IDLE,
    MachineState.SETUP: Status.IDLE,
    MachineState.MAINTENANCE: Status.MAINTENANCE,
    MachineState.DOWN: Status.DOWN,
}


class EnvAgentPolicy:
    """`decide(plant, obs)` by asking an `EnvAgent` for its action."""

    def __init__(
        self, plant: Plant, agent: EnvAgent, queue: Callable[[], int] | None = None
    ) -> None:
        self.plant = plant
        self.agent = agent
        self.name = f"agent:{agent.name}"
        self.layout = Layout.of(plant)
        self.queue = queue
        self._status_code = {s.value: i for i, s in enumerate(STATUSES)}
        # the loop's machine states in the environment's codes (the twin's statuses): a state
        # the twin has no status for reads as the nearest one
        for state, status in _TWIN_STATUS.items():
            self._status_code[state.value] = self._status_code[status.value]

    def encode(self, obs: Observation) -> Obs:
        """The environment's observation from the loop's."""
        layout = self.layout
        n = len(layout.machines)
        out: Obs = {
            "indicator": np.full(n, NO_INDICATOR, dtype=np.float32),
            "suspect": np.zeros(n, dtype=np.int64),
            "alert": np.zeros(n, dtype=np.int8),
            "status": np.zeros(n, dtype=np.int64),
            "run_hours": np.full((n, layout.max_modes), -1.0, dtype=np.float32),
            "pending": np.zeros((n, layout.max_actions), dtype=np.int8),
            "queue": np.array([self.queue() if self.queue else 0], dtype=np.float32),
        }
        alerted = {a.machine for a in obs.alerts}
        for i, mid in enumerate(layout.machines):
            m = obs.machines[mid]
            out["status"][i] = self._status_code[str(m.status)]
            for j, mode in enumerate(layout.modes[i]):
                out["run_hours"][i, j] = m.run_hours_since[mode]
            for action in m.pending_maintenance:
                out["pending"][i, layout.actions[i].index(action)] = 1
            if m.indicator is not None:
                out["indicator"][i] = max(m.indicator, 0.0)
            if m.suspect_mode is not None:
                out["suspect"][i] = 1 + layout.modes[i].index(m.suspect_mode)
            out["alert"][i] = mid in alerted
        return out

    def decide(self, plant: Plant, obs: Observation) -> list[Action]:
        chosen = self.agent.act(self.encode(obs))
        actions = []
        for i in np.flatnonzero(chosen):
            action_id = self.layout.actions[i][int(chosen[i]) - 1]
            actions.append(
                Action(
                    time=obs.now_ns,
                    machine=self.layout.machines[i],
                    kind=ActionKind.START_MAINTENANCE,
                    params={"action": action_id},
                    origin=self.name,
                    expected_effect=f"{self.agent.name} chose {action_id}",
                    risk=RiskClass.MEDIUM,
                )
            )
        return actions
