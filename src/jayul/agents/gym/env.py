"""`TwinEnv`: the digital twin as a Gymnasium environment, one maintenance decision per tick.

Observation (a `Dict` of fixed shapes; `Layout` names what each index stands for), what the
autopilot's loop observes and nothing of the twin's hidden health:
- `indicator` (machines,) float: the health monitor's indicator (about 1 at the alarm level);
  -1 when the environment runs without signals (`signals=False`, the default): there is then no
  monitor and nothing to compute it from;
- `suspect` (machines,) int: 1 + the index of the failure mode the monitor's explanation points
  at, 0 for none (always 0 without signals);
- `alert` (machines,) 0/1: whether the monitor's alert on the machine is active (0 without
  signals);
- `status` (machines,) int: the twin's status as an index into `STATUSES` (idle, busy,
  wait_crew, maintenance, down; `Status.operating_state` maps them to `jayul.records`'
  `MachineState`);
- `run_hours` (machines, most modes) float: operating hours since each failure mode's
  restoration; -1 where a machine type has fewer modes;
- `pending` (machines, most actions) 0/1: maintenance actions requested and not yet finished;
- `queue` (1,) float: operations waiting for a machine.

Action (`MultiDiscrete`, one entry per machine): 0 = no decision, k = request the machine's k-th
maintenance action from the plant file (1-based). A request the twin declines (the machine is
down, or that action is already pending) is counted in `info["declined"]` and changes nothing.
Reward: minus the increase of the twin's total cost (`Kpis.total_cost`: maintenance, failures and
their downtime, tardiness) over the step, so an episode's return is minus its total cost.

One step is one decision followed by `decision_ticks` ticks of `tick_h` (1 by default; 24 with
1-hour ticks is a decision a day, the twin still ticking hourly, so failures, maintenance and
costs are those of the hourly twin): a coarser decision interval shortens the horizon an agent
must assign credit over, since wear takes hundreds of hours to show.
Episodes are seeded (`reset(seed=s)` runs the twin with seed s, the seeds of `jayul bench
policies`) and forkable (`fork()`: an independent copy via `Twin.fork`).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, SupportsFloat

import gymnasium as gym
import numpy as np
import numpy.typing as npt

from jayul.agents.gym.encoding import Layout, Observer
from jayul.plant.model import Plant
from jayul.records import EventKind
from jayul.twin import Twin

if TYPE_CHECKING:
    from jayul.autopilot.monitor import HealthMonitor

Obs = dict[str, Any]  # name -> array, as `Layout.observation_space` describes
_RESETS = (EventKind.MAINTENANCE_END, EventKind.REPAIR_END)


class TwinEnv(gym.Env[Obs, npt.NDArray[np.int64]]):
    """The twin under an agent's maintenance decisions (see the module's docstring)."""

    def __init__(
        self,
        plant: Plant,
        *,
        days: float = 365.0,
        tick_h: float = 1.0,
        signals: bool = False,
        signal_period_s: float = 600.0,
        decision_ticks: int = 1,
    ) -> None:
        if days <= 0 or tick_h <= 0 or decision_ticks < 1:
            raise ValueError(
                f"days ({days}), tick_h ({tick_h}) and decision_ticks ({decision_ticks}) must be "
                "positive"
            )
        self.decision_ticks = decision_ticks
        self.plant = plant
        self.horizon_h = days * 24.0
        self.tick_h = tick_h
        self.signals = signals
        self.signal_period_s = signal_period_s
        self.layout = Layout.of(plant)
        self._observer = Observer(self.layout)
        self.action_space = self.layout.action_space()
        self._nvec = self.layout.action_space().nvec
        self.observation_space = self.layout.observation_space()
        self.twin: Twin | None = None
        self.monitor: HealthMonitor | None = None
        self._cost = 0.0

    # ----------------------------------------------------------------- the Gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Obs, dict[str, Any]]:
        super().reset(seed=seed)
        twin_seed = seed if seed is not None else int(self.np_random.integers(2**31 - 1))
        self.twin = Twin(
            self.plant,
            seed=twin_seed,
            tick_h=self.tick_h,
            signals=self.signals,
            record_events=self.signals,  # the monitor resets a machine on its restoration
            signal_period_s=self.signal_period_s,
        )
        if self.signals:
            from jayul.autopilot.monitor import HealthMonitor

            self.monitor = HealthMonitor(self.plant)
        else:
            self.monitor = None
        self._cost = 0.0
        return self._observer.observe(self.twin, self.monitor), {"twin_seed": twin_seed}

    def step(
        self, action: npt.NDArray[np.int64]
    ) -> tuple[Obs, SupportsFloat, bool, bool, dict[str, Any]]:
        twin = self._running()
        chosen = self._checked(action)
        declined = 0
        for i in np.flatnonzero(chosen) if chosen.any() else ():
            mid = self.layout.machines[i]
            if not twin.request_maintenance(mid, self.layout.actions[i][chosen[i] - 1]):
                declined += 1
        info: dict[str, Any] = {"declined": declined}
        alerts = 0
        for _ in range(self.decision_ticks):
            twin.step(self.tick_h)
            if self.monitor is not None:
                alerts += self._monitor(twin, self.monitor)
            if twin.now_h >= self.horizon_h - 1e-9:
                break
        if self.monitor is not None:
            info["alerts"] = alerts
        cost = twin.total_cost()
        reward = self._cost - cost
        self._cost = cost
        info["total_cost"] = cost
        truncated = twin.now_h >= self.horizon_h - 1e-9
        return self._observer.observe(twin, self.monitor), reward, False, truncated, info

    # ----------------------------------------------------------------- forks
    def fork(self, seed: int | None = None) -> TwinEnv:
        """An independent copy at this instant: stepping it never changes this environment.
        Without `seed` it has the same future as this one (same actions, same outcome); with
        `seed` its future randomness is drawn afresh (`Twin.fork`)."""
        twin = self._running()
        clone = copy.copy(self)
        clone.twin = twin.fork(seed, signals=self.signals)
        clone.monitor = copy.deepcopy(self.monitor)
        clone._np_random = copy.deepcopy(self._np_random)
        return clone

    # ----------------------------------------------------------------- helpers
    def _running(self) -> Twin:
        if self.twin is None:
            raise RuntimeError("call reset() before step() or fork()")
        return self.twin

    def _checked(self, action: Any) -> npt.NDArray[np.int64]:
        arr = np.asarray(action)
        nvec = self._nvec  # checked directly: MultiDiscrete.contains is slower
        ok = arr.dtype.kind in "iu" and arr.shape == nvec.shape
        if not (ok and bool(((arr >= 0) & (arr < nvec)).all())):
            limits = ", ".join(
                f"{mid}: 0..{len(acts)}"
                for mid, acts in zip(self.layout.machines, self.layout.actions, strict=True)
            )
            raise ValueError(
                f"action {arr.tolist()!r} is outside the action space: one integer per machine "
                f"({limits}; 0 = no decision, k = the machine's k-th maintenance action)"
            )
        return arr.astype(np.int64, copy=False)

    def _monitor(self, twin: Twin, monitor: HealthMonitor) -> int:
        """Feed the tick's signals to the monitor, as the loop does; the number of new alerts."""
        samples = twin.drain_samples()
        alerts = 0
        if len(samples):
            states = {mid: m.status.operating_state for mid, m in twin.machines.items()}
            alerts = len(monitor.update(samples, states=states))
        for e in twin.drain_events():  # after the update, in the loop's order
            if e.kind in _RESETS and e.machine:
                monitor.reset_machine(e.machine)
        return alerts
