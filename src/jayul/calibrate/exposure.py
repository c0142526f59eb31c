"""Wear exposure and runs: how much each failure mode was worn between its resets.

The twin's wear law (`twin.degradation.wear_weight`) is the model's structure, not a fitted
parameter: a machine wears at load² per hour while it runs (the load of an operation is its
speed factor times a ±15 % spread, mean square 1.0075 × factor²), a tenth of that while it
stands ready, and not at all while it is stopped for maintenance or repair. Exposure is
measured from the operation and stop intervals alone; no health index is read.

A run of a failure mode starts at a reset (the end of a repair of that mode, or of a
maintenance action that restores it, or the window's start for a new plant) and ends in a
failure of that mode (an event) or is right-censored: by maintenance that restores the mode
before it failed, or by the end of the window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from jayul.calibrate.history import History, MachineHistory
from jayul.plant.model import Plant
from jayul.twin.degradation import IDLE_WEAR

LOAD_SQUARE = 1.0 + 0.15**2 / 3.0  # E[U(0.85, 1.15)^2]


@dataclass
class Run:
    """One run of a failure mode on one machine, in clock hours and in wear hours."""

    machine: str
    mode: str
    start_h: float
    end_h: float
    exposure: float  # wear hours between start and end
    failed: bool


class WearClock:
    """Cumulative wear hours of one machine as a piecewise-linear function of clock time."""

    def __init__(self, plant: Plant, mh: MachineHistory, hours: float) -> None:
        mt = plant.machine_types[mh.type]
        default = mt.setpoints[0].default if mt.setpoints else None
        sp_id = mt.setpoints[0].id if mt.setpoints else None
        changes = [(t, v) for t, s, v in mh.setpoints if s == sp_id]
        pieces: list[tuple[float, float, float]] = []  # start, end, wear rate
        for op in mh.operations:
            factor = 1.0
            if default:
                before = [v for t, v in changes if t <= op.start_h]
                factor = (before[-1] if before else default) / default
            pieces.append((op.start_h, op.end_h, LOAD_SQUARE * max(factor, 0.1) ** 2))
        for stop in mh.stops():
            pieces.append((stop.start_h, stop.end_h, 0.0))
        pieces.sort()
        knots = [0.0]
        rates: list[float] = []
        t = 0.0
        for start, end, rate in pieces:
            start = max(start, t)
            if end <= start:
                continue
            if start > t:
                knots.append(start)
                rates.append(IDLE_WEAR)
            knots.append(end)
            rates.append(rate)
            t = end
        if t < hours:
            knots.append(hours)
            rates.append(IDLE_WEAR)
        self.knots = np.array(knots)
        widths = np.diff(self.knots)
        self.rates = np.array(rates)
        self.cum = np.concatenate([[0.0], np.cumsum(widths * self.rates)])

    def __call__(self, t_h: float | npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(np.interp(t_h, self.knots, self.cum), dtype=np.float64)

    def running(self, t_h: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """Whether the machine ran an operation at each instant (rate above idle)."""
        idx = np.clip(np.searchsorted(self.knots, t_h, side="right") - 1, 0, len(self.rates) - 1)
        return self.rates[idx] > IDLE_WEAR


def mode_runs(
    plant: Plant, history: History, clocks: dict[str, WearClock], new_at_start: bool
) -> dict[tuple[str, str], list[Run]]:
    """Runs per (machine type, failure mode). Without `new_at_start` a mode's first run
    (of unknown age at the window's start) is left out."""
    out: dict[tuple[str, str], list[Run]] = {}
    for mid, mh in history.machines.items():
        mt = plant.machine_types[mh.type]
        clock = clocks[mid]
        restores = {a.id: set(a.restores) for a in mt.maintenance}
        for mode in mt.failure_modes:
            # (time the run ends, how, time the next run starts)
            ends: list[tuple[float, bool, float]] = []
            for rep in history.machines[mid].repairs:
                if rep.label == mode.id:
                    ends.append((rep.start_h, True, rep.end_h))
            for m in mh.maintenance:
                if mode.id in restores.get(m.label, set()):
                    ends.append((m.start_h, False, m.end_h))
            ends.sort()
            start: float | None = 0.0 if new_at_start else None
            runs = out.setdefault((mh.type, mode.id), [])
            for end_h, failed, next_start in ends:
                if start is not None and end_h >= start:
                    exposure = float(clock(end_h) - clock(start))
                    runs.append(Run(mid, mode.id, start, end_h, exposure, failed))
                start = next_start if next_start < history.hours else None
            if start is not None and history.hours > start:
                exposure = float(clock(history.hours) - clock(start))
                if exposure > 0:
                    runs.append(Run(mid, mode.id, start, history.hours, exposure, False))
    return out
