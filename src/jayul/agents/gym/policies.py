"""Agents for `TwinEnv`, and jayul's own maintenance policies as such agents.

`DecidePolicyAgent` reads nothing but the environment's observation: it decodes it into the
`Observation` a `jayul.decide` policy sees (machine states, operating hours, pending work, the
monitor's indicator and suspect mode) and encodes the policy's maintenance requests as the
environment's action, so the baselines run through the environment exactly as an RL agent would.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from jayul.agents.gym.encoding import NO_INDICATOR, STATUSES, Layout
from jayul.decide.policy import MachineView, Observation, Policy
from jayul.plant.model import Plant
from jayul.records import ActionKind

Obs = dict[str, npt.NDArray[np.generic]]


class EnvAgent(Protocol):
    """Chooses the environment's action from its observation."""

    name: str

    def act(self, obs: Obs) -> npt.NDArray[np.int64]: ...


class DecidePolicyAgent:
    """A `jayul.decide` policy (reactive, preventive, condition-based) acting through the env."""

    def __init__(self, plant: Plant, policy: Policy) -> None:
        self.plant = plant
        self.policy = policy
        self.name = policy.name
        self.layout = Layout.of(plant)
        self._types = {m.id: m.type for m in plant.machines}
        self._index = {mid: i for i, mid in enumerate(self.layout.machines)}

    def observation(self, obs: Obs) -> Observation:
        """The decide-side view of an environment observation (time is not observed: 0)."""
        views = {}
        for i, mid in enumerate(self.layout.machines):
            modes = self.layout.modes[i]
            indicator = float(obs["indicator"][i])
            suspect = int(obs["suspect"][i])
            pending = np.flatnonzero(obs["pending"][i])
            views[mid] = MachineView(
                id=mid,
                type=self._types[mid],
                status=STATUSES[int(obs["status"][i])].operating_state,
                run_hours_since={m: float(obs["run_hours"][i, j]) for j, m in enumerate(modes)},
                pending_maintenance=tuple(self.layout.actions[i][j] for j in pending),
                indicator=None if indicator == NO_INDICATOR else indicator,
                suspect_mode=modes[suspect - 1] if suspect > 0 else None,
            )
        return Observation(now_ns=0, now_h=0.0, machines=views)

    def act(self, obs: Obs) -> npt.NDArray[np.int64]:
        action = np.zeros(len(self.layout.machines), dtype=np.int64)
        for decided in self.policy.decide(self.plant, self.observation(obs)):
            if decided.kind is not ActionKind.START_MAINTENANCE or decided.machine is None:
                continue  # the environment's actions are maintenance requests only
            i = self._index[decided.machine]
            action[i] = 1 + self.layout.actions[i].index(str(decided.params["action"]))
        return action
