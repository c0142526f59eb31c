"""The plant file's model: lines, machine types, machines, signals, failure modes, envelopes.

A machine type carries what machines of that type share (operations, signals, failure modes,
maintenance actions, setpoints); a machine names its type and line. `Plant.machine(id)`
gives the resolved view the rest of jayul uses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from jayul.plant.process import EmissionFactors as EmissionFactors
from jayul.plant.process import Process, check_process
from jayul.plant.process import ProductLimit as ProductLimit
from jayul.plant.process import SoftSensorSpec as SoftSensorSpec
from jayul.records.autonomy import AutonomyLevel
from jayul.records.events import ActionKind

T = TypeVar("T")


class NotModelledError(ValueError):
    """A simulation parameter the plant file leaves out, asked for by the twin (or a model
    that simulates): the message names the field."""


def modelled(value: T | None, what: str) -> T:
    """`value`, or NotModelledError naming `what` when the plant file leaves it out."""
    if value is None:
        raise NotModelledError(f"{what} is not in the plant file (the twin needs it)")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Envelope(_Strict):
    """A setpoint's safe envelope: a hard interlock no model, policy or user can pass."""

    low: float
    high: float
    max_step: float | None = Field(
        default=None, gt=0, description="largest change allowed in one action"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Envelope:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


class Setpoint(_Strict):
    id: str
    unit: str
    default: float
    envelope: Envelope

    @model_validator(mode="after")
    def _default_inside(self) -> Setpoint:
        if not self.envelope.contains(self.default):
            raise ValueError(f"default {self.default} lies outside its envelope")
        return self


class Signal(_Strict):
    """A measured signal: its normal level, noise and the valid range of its sensor."""

    id: str
    unit: str = Field(default="", description="engineering unit (empty: not stated)")
    nominal: float | None = Field(
        default=None, description="level of a healthy machine at full load (twin only)"
    )
    noise: float | None = Field(
        default=None, ge=0, description="standard deviation of the sensor noise (twin only)"
    )
    load_gain: float = Field(
        default=0.0, description="change of the level per unit of load above/below 1"
    )
    ambient_gain: float = Field(default=0.0, description="change per degree of ambient swing")
    low: float | None = Field(
        default=None, description="lowest valid reading of the sensor (none: not checked)"
    )
    high: float | None = Field(
        default=None, description="highest valid reading of the sensor (none: not checked)"
    )
    period_s: float = Field(default=60.0, gt=0, description="sampling period")

    @model_validator(mode="after")
    def _range(self) -> Signal:
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class FailureMode(_Strict):
    """A degradation process (gamma) whose health index shapes signals until it fails.

    The health index starts at 0 and grows by gamma increments with mean `wear_per_h` per
    running hour (a tenth of it while idle); the machine fails when it reaches 1.
    """

    id: str
    wear_per_h: float | None = Field(
        default=None, gt=0, description="mean growth of the health index per hour (twin only)"
    )
    shape_per_h: float | None = Field(
        default=None,
        gt=0,
        description="gamma shape per hour: larger means a smoother, more predictable path",
    )
    effects: dict[str, float] = Field(
        default_factory=dict,
        description="signal id -> change of the signal at health index 1 (in signal units); "
        "the health monitor names the mode whose signs match an alert",
    )
    onset: float = Field(
        default=0.3,
        ge=0,
        lt=1,
        description="health index below which signals show no effect yet",
    )
    repair_h: float | None = Field(
        default=None, gt=0, description="corrective repair duration after a failure"
    )
    repair_cost: float = Field(
        default=0.0, ge=0, description="parts and labour of a corrective repair (0: not costed)"
    )
    repair_crew: str | None = None
    process: Literal["gamma", "wiener"] = Field(
        default="gamma",
        description="degradation family: a gamma process (monotone wear) or a Wiener process "
        "with the same mean and variance per hour (wear with reversible fluctuation)",
    )


class MaintenanceAction(_Strict):
    id: str
    restores: list[str] = Field(description="failure modes whose health this action resets")
    duration_h: float = Field(gt=0)
    crew: str
    cost: float = Field(ge=0)


class MachineType(_Strict):
    operations: dict[str, float] = Field(
        default_factory=dict,
        description="operation name -> processing hours per unit of work (twin only)",
    )
    signals: list[Signal]
    failure_modes: list[FailureMode] = Field(default_factory=list)
    maintenance: list[MaintenanceAction] = Field(default_factory=list)
    setpoints: list[Setpoint] = Field(default_factory=list)
    downtime_cost_per_h: float = Field(
        default=0.0, ge=0, description="lost contribution per hour stopped (0: not costed)"
    )

    @model_validator(mode="after")
    def _references(self) -> MachineType:
        signal_ids = [s.id for s in self.signals]
        if len(set(signal_ids)) != len(signal_ids):
            raise ValueError("signal ids must be unique within a machine type")
        if not 1 <= len(signal_ids) <= 16:
            raise ValueError(f"a machine type needs 1 to 16 signals, has {len(signal_ids)}")
        fm_ids = {f.id for f in self.failure_modes}
        for fm in self.failure_modes:
            unknown = set(fm.effects) - set(signal_ids)
            if unknown:
                raise ValueError(
                    f"failure mode {fm.id!r} affects unknown signals {sorted(unknown)}"
                )
        for action in self.maintenance:
            unknown = set(action.restores) - fm_ids
            if unknown:
                raise ValueError(
                    f"maintenance {action.id!r} restores unknown failure modes {sorted(unknown)}"
                )
        return self


DEFAULT_LINE = "main"


def _crews_of(mt: MachineType) -> set[str]:
    repairs = {f.repair_crew for f in mt.failure_modes if f.repair_crew is not None}
    return {a.crew for a in mt.maintenance} | repairs


class MachineSpec(_Strict):
    id: str
    type: str
    line: str = DEFAULT_LINE


class Product(_Strict):
    id: str
    routing: list[str] = Field(min_length=1, description="operation names, in order")
    work: float = Field(gt=0, description="units of work per order")
    share: float = Field(gt=0, description="relative frequency among orders")


class Orders(_Strict):
    arrivals_per_h: float = Field(gt=0)
    due_after_h: tuple[float, float] = Field(description="due date window after release, hours")
    tardiness_cost_per_h: float = Field(ge=0)
    products: list[Product] = Field(min_length=1)


class AlarmRule(_Strict):
    """An alarm rule beyond the anomaly detector, declared without code (plant file `alarms:`,
    the API or a rules file): a threshold on a signal, its rate of change, or no data.

    `machine` is a machine id or "*" (every machine that has the signal); `above`/`below`
    bound the value (threshold) or its change per hour (rate, over `window_s`); `no_data`
    fires when the signal has been silent for `after_s` seconds of plant time. The alarm
    returns to normal when the value is back inside its bound by `deadband` for
    `clear_after_s` (threshold, rate), or when the signal is heard again (no_data)."""

    id: str = Field(min_length=1, max_length=100, pattern=r"^[\w.-]+$")
    kind: Literal["threshold", "rate", "no_data"]
    machine: str = Field("*", min_length=1, max_length=100)
    signal: str = Field(min_length=1, max_length=100)
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    above: float | None = None
    below: float | None = None
    window_s: float = Field(3600.0, gt=0, description="rate: the span the change is measured on")
    after_s: float = Field(600.0, gt=0, description="no_data: silence that raises the alarm")
    deadband: float = Field(
        0.0, ge=0, description="threshold, rate: how far back inside its bound the value must "
        "come for the alarm to return to normal (hysteresis)"
    )  # fmt: skip
    clear_after_s: float = Field(
        0.0, ge=0, description="threshold, rate: how long the value must stay back inside "
        "(past the deadband) before the alarm returns to normal"
    )  # fmt: skip
    message: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _bounds(self) -> AlarmRule:
        if self.kind != "no_data" and self.above is None and self.below is None:
            raise ValueError(f"alarm rule {self.id!r} ({self.kind}) needs `above` or `below`")
        return self


class FourEyesRule(_Strict):
    """Where the proposer of an action may not approve it (docs/autonomy.md): the action
    kinds and the autonomy levels (at the time of the request) it covers. Default: every kind
    at every level; `kinds: []` switches it off."""

    kinds: list[ActionKind] = Field(default_factory=lambda: list(ActionKind))
    levels: list[AutonomyLevel] = Field(default_factory=lambda: list(AutonomyLevel))

    @field_validator("levels", mode="before")
    @classmethod
    def _levels(cls, value: object) -> object:
        """'L2', 'l2' or 2 for each level."""
        if isinstance(value, list):
            return [AutonomyLevel.parse(v) if isinstance(v, str | int) else v for v in value]
        return value


class Plant(_Strict):
    """A whole plant, as its YAML file describes it."""

    name: str
    start: datetime = Field(default=datetime(2026, 1, 1, tzinfo=UTC))
    ambient_swing_c: float = Field(default=4.0, ge=0, description="daily ambient amplitude")
    lines: list[str] = Field(
        default_factory=list, description="production lines (default: the machines' lines)"
    )
    crews: dict[str, int] = Field(
        default_factory=dict, description="maintenance crews and their sizes (twin only)"
    )
    machine_types: dict[str, MachineType]
    machines: list[MachineSpec] = Field(min_length=1)
    orders: Orders | None = Field(default=None, description="order arrivals (twin only)")
    alarms: list[AlarmRule] = Field(default_factory=list, description="alarm rules")
    kind: Literal["plant"] = "plant"
    process: Process | None = Field(
        default=None, description="a continuous process and the twin that simulates it"
    )
    four_eyes: FourEyesRule = Field(
        default_factory=FourEyesRule,
        description="where a proposer may not approve their own action (default: everywhere)",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_lines(cls, data: object) -> object:
        """Without a `lines:` list, the lines are those the machines name, in order."""
        if (
            isinstance(data, dict)
            and "lines" not in data
            and isinstance(data.get("machines"), list)
        ):
            named = [m.get("line", DEFAULT_LINE) for m in data["machines"] if isinstance(m, dict)]
            return {**data, "lines": list(dict.fromkeys(x for x in named if isinstance(x, str)))}
        return data

    @field_validator("start")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @model_validator(mode="after")
    def _references(self) -> Plant:
        ids = [m.id for m in self.machines]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"machine ids must be unique, repeated: {dupes}")
        for m in self.machines:
            if m.type not in self.machine_types:
                raise ValueError(f"machine {m.id!r} has unknown type {m.type!r}")
            if m.line not in self.lines:
                raise ValueError(f"machine {m.id!r} is on unknown line {m.line!r}")
        if not self.lines:
            raise ValueError("a plant needs at least one line")
        for name, mt in self.machine_types.items():
            # Without a `crews:` section crews are not modelled (the twin then refuses to run).
            unknown = _crews_of(mt) - set(self.crews) if self.crews else set()
            if unknown:
                raise ValueError(f"machine type {name!r} uses unknown crews {sorted(unknown)}")
        if self.process is not None:
            periods = {
                m.id: {s.id: s.period_s for s in self.machine_type(m.id).signals}
                for m in self.machines
            }
            check_process(self.process, periods)
        for rule in self.alarms:
            if rule.machine != "*" and rule.machine not in ids:
                raise ValueError(f"alarm rule {rule.id!r} names unknown machine {rule.machine!r}")
        offered = {op for mt in self.machine_types.values() for op in mt.operations}
        for product in self.orders.products if self.orders is not None else []:
            missing = set(product.routing) - offered
            if missing:
                raise ValueError(
                    f"product {product.id!r} needs operations no machine runs: {sorted(missing)}"
                )
        return self

    def simulation_gaps(self) -> list[str]:
        """What the twin needs that this file leaves out, as 'field path: what' lines; empty
        when the plant can be simulated. Monitoring needs none of it."""
        gaps: list[str] = []
        if self.orders is None:
            gaps.append("plant.orders: the order arrivals and products the twin produces")
        used = {m.type for m in self.machines}
        for name, mt in self.machine_types.items():
            if name not in used:
                continue
            where = f"plant.machine_types.{name}"
            for i, sig in enumerate(mt.signals):
                for attr in ("nominal", "noise"):
                    if getattr(sig, attr) is None:
                        gaps.append(f"{where}.signals[{i}].{attr}: the sensor model's {attr}")
            for i, fm in enumerate(mt.failure_modes):
                for attr in ("wear_per_h", "shape_per_h", "repair_h", "repair_crew"):
                    if getattr(fm, attr) is None:
                        gaps.append(f"{where}.failure_modes[{i}].{attr}: the mode's physics")
            missing = sorted(_crews_of(mt) - set(self.crews))
            if missing:
                gaps.append(f"plant.crews: the crews {name!r} needs ({', '.join(missing)})")
        return gaps

    def machine_type(self, machine_id: str) -> MachineType:
        return self.machine_types[self.spec(machine_id).type]

    def spec(self, machine_id: str) -> MachineSpec:
        for m in self.machines:
            if m.id == machine_id:
                return m
        raise KeyError(f"no machine {machine_id!r} in plant {self.name!r}")

    @property
    def machine_ids(self) -> list[str]:
        return [m.id for m in self.machines]

    def machines_for(self, operation: str) -> list[str]:
        """Machines that can run `operation`, in plant-file order."""
        return [m.id for m in self.machines if operation in self.machine_types[m.type].operations]

    def setpoint(self, machine_id: str, setpoint_id: str) -> Setpoint:
        for sp in self.machine_type(machine_id).setpoints:
            if sp.id == setpoint_id:
                return sp
        raise KeyError(f"machine {machine_id!r} has no setpoint {setpoint_id!r}")
