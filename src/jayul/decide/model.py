"""The CP-SAT modelling core shared by the planner and the job-shop bench.

One task is an interval that runs on exactly one of its eligible machines; each machine's
intervals never overlap; precedences chain tasks. The planner adds maintenance, crews and
costs on top; the job-shop bench adds a makespan objective. Both build their tasks here, so the
bench measures the same modelling code the planner runs.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ortools.sat.python import cp_model

K = TypeVar("K", bound=Hashable)


@dataclass
class TaskVars(Generic[K]):
    """The variables of one task: start, end, and one (optional) interval per eligible machine.

    `presence[m]` is the literal "the task runs on machine m" (the constant True when there is a
    single eligible machine, so models without alternatives stay as tight as a plain model).
    """

    start: cp_model.IntVar
    end: cp_model.IntVar
    intervals: dict[K, cp_model.IntervalVar]
    presence: dict[K, Any]
    durations: dict[K, int]


@dataclass
class MachineIntervals:
    """Intervals collected per machine, posted as one no-overlap constraint each at the end."""

    by_machine: dict[Hashable, list[cp_model.IntervalVar]] = field(default_factory=dict)

    def add(self, machine: Hashable, interval: cp_model.IntervalVar) -> None:
        """Register `interval` as occupying `machine`."""
        self.by_machine.setdefault(machine, []).append(interval)

    def post(self, model: cp_model.CpModel) -> None:
        """Add one no-overlap constraint per machine (skipping machines with a single interval)."""
        for intervals in self.by_machine.values():
            if len(intervals) > 1:
                model.add_no_overlap(intervals)


def add_task(
    model: cp_model.CpModel,
    name: str,
    durations: Mapping[K, int],
    earliest_start: int,
    latest_end: int,
    machines: MachineIntervals,
) -> TaskVars[K]:
    """Add a task that runs on exactly one machine of `durations` (machine -> integer duration).

    `earliest_start` and `latest_end` bound the task (tight bounds from heads and tails let the
    solver prune early; they must be valid or the model is infeasible).
    """
    if not durations:
        raise ValueError(f"task {name} has no eligible machine")
    latest_end = max(latest_end, earliest_start + min(durations.values()))
    start = model.new_int_var(earliest_start, latest_end - min(durations.values()), f"s_{name}")
    end = model.new_int_var(earliest_start + min(durations.values()), latest_end, f"e_{name}")
    intervals: dict[K, cp_model.IntervalVar] = {}
    presence: dict[K, Any] = {}
    if len(durations) == 1:
        ((machine, duration),) = durations.items()
        intervals[machine] = model.new_interval_var(start, duration, end, f"i_{name}")
        presence[machine] = True
    else:
        for machine, duration in durations.items():
            lit = model.new_bool_var(f"on_{name}_{machine}")
            intervals[machine] = model.new_optional_interval_var(
                start, duration, end, lit, f"i_{name}_{machine}"
            )
            presence[machine] = lit
        model.add_exactly_one(presence.values())
    for machine, interval in intervals.items():
        machines.add(machine, interval)
    return TaskVars(start, end, intervals, presence, dict(durations))


def add_precedence(model: cp_model.CpModel, before: TaskVars[Any], after: TaskVars[Any]) -> None:
    """`after` starts no earlier than `before` ends."""
    model.add(after.start >= before.end)


def heads_and_tails(jobs: list[list[int]]) -> tuple[list[list[int]], list[list[int]]]:
    """For chains of durations, each task's head (work before it) and tail (work after it)."""
    heads: list[list[int]] = []
    tails: list[list[int]] = []
    for durations in jobs:
        head, acc = [], 0
        for d in durations:
            head.append(acc)
            acc += d
        tail = [acc - h - d for h, d in zip(head, durations, strict=True)]
        heads.append(head)
        tails.append(tail)
    return heads, tails
