"""The fixed shapes of the environment: which machine, failure mode and maintenance action each
index stands for, the observation and action spaces, and the observation of a twin.

Machines are in plant-file order; per machine, failure modes and maintenance actions are in the
order of its machine type in the plant file. Machine types with fewer modes or actions than the
most a type has are padded (see `TwinEnv` for the values used in padding).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from gymnasium import spaces

from jayul.plant.model import Plant
from jayul.twin.state import Status

if TYPE_CHECKING:
    from jayul.autopilot.monitor import HealthMonitor
    from jayul.twin import Twin

STATUSES: tuple[Status, ...] = tuple(Status)  # the "status" code is an index into this
NO_INDICATOR = -1.0  # the indicator's value when the twin runs without signals
# No natural upper bound (hours, queue length, indicator): the largest float32, not infinity,
# which Gymnasium's checker flags and some RL libraries cannot normalise.
_TOP = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class Layout:
    """Index <-> name for machines, their failure modes and their maintenance actions."""

    machines: tuple[str, ...]
    modes: tuple[tuple[str, ...], ...]  # per machine
    actions: tuple[tuple[str, ...], ...]  # per machine

    @classmethod
    def of(cls, plant: Plant) -> Layout:
        mts = [plant.machine_types[m.type] for m in plant.machines]
        return cls(
            machines=tuple(m.id for m in plant.machines),
            modes=tuple(tuple(f.id for f in mt.failure_modes) for mt in mts),
            actions=tuple(tuple(a.id for a in mt.maintenance) for mt in mts),
        )

    @property
    def max_modes(self) -> int:
        return max((len(m) for m in self.modes), default=0)

    @property
    def max_actions(self) -> int:
        return max((len(a) for a in self.actions), default=0)

    def action_space(self) -> spaces.MultiDiscrete:
        """Per machine: 0 = no decision, k = request its k-th maintenance action (1-based)."""
        return spaces.MultiDiscrete([1 + len(a) for a in self.actions], dtype=np.int64)

    def observation_space(self) -> spaces.Dict:
        n, k, a = len(self.machines), self.max_modes, self.max_actions
        return spaces.Dict(
            {
                "indicator": spaces.Box(NO_INDICATOR, _TOP, (n,), np.float32),
                "suspect": spaces.MultiDiscrete([1 + len(m) for m in self.modes], np.int64),
                "alert": spaces.MultiBinary(n),
                "status": spaces.MultiDiscrete([len(STATUSES)] * n, np.int64),
                "run_hours": spaces.Box(-1.0, _TOP, (n, k), np.float32),
                "pending": spaces.MultiBinary((n, a)),
                "queue": spaces.Box(0.0, _TOP, (1,), np.float32),
            }
        )


class Observer:
    """Fills preallocated arrays from a twin (and its monitor): the hot path of `step`, so
    indices are resolved once here rather than looked up by name each tick."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._status_code = {s: i for i, s in enumerate(STATUSES)}
        self._action_col = [{a: j for j, a in enumerate(acts)} for acts in layout.actions]
        n, k = len(layout.machines), layout.max_modes
        self._run_hours_pad = np.full((n, k), -1.0, dtype=np.float32)
        for i, modes in enumerate(layout.modes):
            self._run_hours_pad[i, : len(modes)] = 0.0
        # the (machine, mode) cells of `run_hours`, row by row: filled in one assignment
        self._mode_cells = np.nonzero(self._run_hours_pad == 0.0)

    def observe(
        self, twin: Twin, monitor: HealthMonitor | None
    ) -> dict[str, npt.NDArray[np.generic]]:
        layout = self.layout
        n = len(layout.machines)
        indicator = np.full(n, NO_INDICATOR, dtype=np.float32)
        suspect = np.zeros(n, dtype=np.int64)
        alert = np.zeros(n, dtype=np.int8)
        pending = np.zeros((n, layout.max_actions), dtype=np.int8)
        machines = [twin.machines[mid] for mid in layout.machines]
        code = self._status_code
        status = np.array([code[m.status] for m in machines], dtype=np.int64)
        run_hours = self._run_hours_pad.copy()
        run_hours[self._mode_cells] = [
            m.run_hours_since[mode]
            for m, modes in zip(machines, layout.modes, strict=True)
            for mode in modes
        ]
        for i, m in enumerate(machines):
            for action in m.pending_maintenance:
                pending[i, self._action_col[i][action]] = 1
        if monitor is not None:
            for i, mid in enumerate(layout.machines):
                mh = monitor.machines[mid]
                indicator[i] = max(mh.indicator, 0.0)
                alert[i] = mh.last_alert is not None
                if mh.suspect_mode is not None:
                    suspect[i] = 1 + layout.modes[i].index(mh.suspect_mode)
        return {
            "indicator": indicator,
            "suspect": suspect,
            "alert": alert,
            "status": status,
            "run_hours": run_hours,
            "pending": pending,
            "queue": np.array([len(twin.ready)], dtype=np.float32),
        }
