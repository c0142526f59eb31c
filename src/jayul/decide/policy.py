"""What a maintenance policy sees and what it returns.

A policy sees only what a plant really offers: machine states, operating-hour counters,
pending work, the health monitor's indicators and alerts, and RUL distributions when a model
provides them. It never sees the twin's hidden health index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from jayul.decide.plan import Plan
from jayul.decide.production import ProductionView
from jayul.plant.model import MaintenanceAction, Plant
from jayul.records import Action, Alert, MachineState

if TYPE_CHECKING:
    from jayul.health.rul.model import RulDistribution


@dataclass(frozen=True)
class RulView:
    """One failure mode's remaining useful life in hours from now, as a RUL model predicts it:
    a quantile grid (`levels`, `hours`), `age_h` hours after the mode's last restoration.
    `cap_h`: the model's label cap, when it has one (it learnt "at least this long" for every
    life further away, so a median near the cap says little more than that)."""

    levels: tuple[float, ...]
    hours: tuple[float, ...]
    age_h: float = 0.0
    cap_h: float | None = None

    def _distribution(self) -> RulDistribution:
        from jayul.health.rul.model import RulDistribution  # the model side owns the maths

        return RulDistribution(
            np.asarray(self.levels, dtype=np.float64), np.asarray([self.hours], dtype=np.float64)
        )

    def quantile(self, level: float) -> float:
        """The `level` quantile of the remaining life (hours)."""
        return float(self._distribution().quantile(level)[0])

    @property
    def p10(self) -> float:
        return self.quantile(0.1)

    @property
    def p50(self) -> float:
        return self.quantile(0.5)

    @property
    def p90(self) -> float:
        return self.quantile(0.9)

    def prob_fail_before(self, hours: float) -> float:
        """P(the mode fails within `hours` from now)."""
        return float(self._distribution().prob_fail_before(hours)[0])


# machine id -> failure mode id -> its live RUL: what the plant's condition says, for a
# calibrated twin to start its forks from (`PlantPort.fork`)
LiveCondition = Mapping[str, Mapping[str, RulView]]


@dataclass(frozen=True)
class MachineView:
    id: str
    type: str
    status: MachineState  # a str enum: "running", "idle", "maintenance", "down", ...
    # operating hours since each failure mode's restoration; empty when the plant has no
    # run-hour counter for the machine (policies that need them then leave it alone)
    run_hours_since: Mapping[str, float]
    pending_maintenance: Sequence[str]
    indicator: float | None = None  # health monitor: about 1 at the alarm level
    suspect_mode: str | None = None  # the failure mode the monitor's explanation points at
    rul: Mapping[str, RulView] | None = None  # per failure mode, when a RUL monitor runs
    setpoints: Mapping[str, float] = field(default_factory=dict)  # the values in force


@dataclass(frozen=True)
class Observation:
    """Everything a policy sees at one step: the clock, each machine, the alerts raised since
    the last step and, for planning policies, the plant's open work (`production`, None when
    the plant does not say) and the plan it follows now (`plan`)."""

    now_ns: int
    now_h: float
    machines: Mapping[str, MachineView]
    alerts: Sequence[Alert] = field(default_factory=tuple)
    production: ProductionView | None = None
    plan: Plan | None = None


class Policy(Protocol):
    """Decides maintenance from what the plant shows. Stateless between calls or not."""

    name: str

    def decide(self, plant: Plant, obs: Observation) -> list[Action]: ...


@runtime_checkable
class PlanningPolicy(Policy, Protocol):
    """A policy that also plans production: it reads `Observation.production` and `plan`,
    and `plan_` is the plan it made last, which the autopilot hands to the plant to follow."""

    plan_: Plan | None


def cheapest_action_for(plant: Plant, machine_id: str, mode: str) -> MaintenanceAction:
    """The cheapest maintenance action that restores `mode` on this machine."""
    options = [a for a in plant.machine_type(machine_id).maintenance if mode in a.restores]
    if not options:
        raise ValueError(f"no maintenance action of {machine_id!r} restores {mode!r}")
    return min(options, key=lambda a: (a.cost, a.duration_h))
