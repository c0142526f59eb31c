"""The planner's input: open operations, machines (availability, maintenance options, failure
risk), and crews. Plain frozen dataclasses, no dependency on the twin.

Times are hours (float) from an epoch the caller chooses; `now_h` is the planning instant.
Operations of one order are chained by `index` (routing position): an operation starts after the
open operation of the same order with the next lower index ends. An operation already running
is not an open operation: the caller sets its machine's `available_from_h` to its expected end.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class OpenOperation:
    """One operation still to run: which machines can do it and how long each takes (hours).

    Tardiness is charged on an order's last open operation: (end - due_h)+ hours times
    `tardiness_cost_per_h` times `priority`. `due_h` None means no due date.
    """

    order_id: str
    index: int
    eligible: dict[str, float]
    release_h: float = 0.0
    due_h: float | None = None
    tardiness_cost_per_h: float = 0.0
    priority: float = 1.0


@dataclass(frozen=True)
class MaintenanceOption:
    """A maintenance action the machine can get: duration, crew (and how many of it), cost.

    `restores` is the fraction of the remaining failure risk it removes (1.0: as good as new).
    """

    action_id: str
    duration_h: float
    crew: str
    cost: float
    crew_size: int = 1
    restores: float = 1.0


@dataclass(frozen=True)
class FailureRisk:
    """A machine's RUL distribution as its CDF: `grid` holds (t_h, P(failure before t_h)),
    absolute times ascending, probabilities non-decreasing, conditional on running at `now_h`.
    Between grid points the CDF is linear; before the first point it is 0 (or the first value),
    after the last it stays at the last value."""

    grid: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        times = [t for t, _ in self.grid]
        probs = [p for _, p in self.grid]
        if not self.grid:
            raise ValueError("FailureRisk grid is empty")
        if times != sorted(times) or probs != sorted(probs):
            raise ValueError("FailureRisk grid must be ascending in time and probability")
        if probs[0] < 0 or probs[-1] > 1:
            raise ValueError("FailureRisk probabilities must lie in [0, 1]")

    @cached_property
    def _times(self) -> list[float]:
        return [t for t, _ in self.grid]

    def prob_before(self, t_h: float) -> float:
        """P(the machine fails before `t_h`), interpolated linearly on the grid."""
        times = self._times
        i = bisect.bisect_right(times, t_h)
        if i == 0:
            return self.grid[0][1] if t_h >= times[0] else 0.0
        if i == len(times):
            return self.grid[-1][1]
        (t0, p0), (t1, p1) = self.grid[i - 1], self.grid[i]
        return p0 + (p1 - p0) * (t_h - t0) / (t1 - t0) if t1 > t0 else p1

    @classmethod
    def from_cdf(cls, cdf: Callable[[float], float], times_h: Sequence[float]) -> FailureRisk:
        """Sample a CDF callable at `times_h` (monotonicity enforced by a running maximum)."""
        grid, best = [], 0.0
        for t in sorted(times_h):
            best = min(1.0, max(best, float(cdf(t))))
            grid.append((float(t), best))
        return cls(tuple(grid))

    @classmethod
    def from_rul_samples(
        cls, now_h: float, rul_samples_h: Sequence[float], points: int = 25
    ) -> FailureRisk:
        """The empirical CDF of sampled remaining useful lives (hours from `now_h`)."""
        ordered = sorted(max(0.0, r) for r in rul_samples_h)
        if not ordered:
            raise ValueError("no RUL samples")
        n = len(ordered)
        step = max(1, n // points)
        grid = [(now_h, 0.0)]
        for i in range(step - 1, n, step):
            grid.append((now_h + ordered[i], (i + 1) / n))
        if grid[-1][1] < 1.0:
            grid.append((now_h + ordered[-1], 1.0))
        merged: list[tuple[float, float]] = []
        for t, p in grid:  # equal times: keep the largest probability
            if merged and merged[-1][0] == t:
                merged[-1] = (t, max(p, merged[-1][1]))
            else:
                merged.append((t, p))
        return cls(tuple(merged))


@dataclass(frozen=True)
class MachineState:
    """A machine as the planner sees it.

    `failure` None means no known risk. A failure costs `corrective_cost` plus
    `corrective_repair_h` hours of downtime at `downtime_cost_per_h`; planned maintenance costs
    its own cost plus its duration at `downtime_cost_per_h`. `maintain_by_h` (optional) is a hard
    rule: some maintenance option must start no later than it (e.g. a predicted failure time
    that the gate requires to beat).
    """

    id: str
    available_from_h: float = 0.0
    downtime_cost_per_h: float = 0.0
    maintenance: tuple[MaintenanceOption, ...] = ()
    failure: FailureRisk | None = None
    corrective_repair_h: float = 0.0
    corrective_cost: float = 0.0
    maintain_by_h: float | None = None

    @property
    def failure_cost(self) -> float:
        """What one failure costs: repair plus its downtime."""
        return self.corrective_cost + self.corrective_repair_h * self.downtime_cost_per_h


@dataclass(frozen=True)
class PlanningProblem:
    """Everything the planner needs at `now_h`, for a horizon of `horizon_h` hours."""

    now_h: float
    horizon_h: float
    operations: tuple[OpenOperation, ...]
    machines: tuple[MachineState, ...]
    crews: dict[str, int] = field(default_factory=dict)

    def machine(self, machine_id: str) -> MachineState:
        """The machine with id `machine_id` (KeyError if unknown)."""
        for m in self.machines:
            if m.id == machine_id:
                return m
        raise KeyError(machine_id)

    @property
    def end_h(self) -> float:
        """The end of the planning horizon."""
        return self.now_h + self.horizon_h

    def validate(self) -> list[str]:
        """Problems that make the input unusable (unknown machines or crews, duplicates)."""
        problems: list[str] = []
        ids = [m.id for m in self.machines]
        if len(set(ids)) != len(ids):
            problems.append("duplicate machine ids")
        known = set(ids)
        seen: set[tuple[str, int]] = set()
        for op in self.operations:
            key = (op.order_id, op.index)
            if key in seen:
                problems.append(f"duplicate operation {key}")
            seen.add(key)
            if not op.eligible:
                problems.append(f"operation {key} has no eligible machine")
            for machine_id, d in op.eligible.items():
                if machine_id not in known:
                    problems.append(f"operation {key} names unknown machine {machine_id}")
                if d < 0:
                    problems.append(f"operation {key} has a negative duration on {machine_id}")
        for m in self.machines:
            for opt in m.maintenance:
                if self.crews.get(opt.crew, 0) < opt.crew_size:
                    problems.append(
                        f"{m.id}/{opt.action_id} needs crew {opt.crew} x{opt.crew_size}"
                    )
            if m.maintain_by_h is not None and not m.maintenance:
                problems.append(f"{m.id} must be maintained but has no maintenance option")
        return problems
