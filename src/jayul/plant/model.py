"""The plant file's model: lines, machine types, machines, signals, failure modes, envelopes.

A machine type carries what machines of that type share (operations, signals, failure modes,
maintenance actions, setpoints); a machine names its type and line. `Plant.machine(id)`
gives the resolved view the rest of jayul uses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


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
    unit: str
    nominal: float = Field(description="level of a healthy machine at full load")
    noise: float = Field(ge=0, description="standard deviation of the sensor noise")
    load_gain: float = Field(
        default=0.0, description="change of the level per unit of load above/below 1"
    )
    ambient_gain: float = Field(default=0.0, description="change per degree of ambient swing")
    low: float = Field(description="lowest valid reading of the sensor")
    high: float = Field(description="highest valid reading of the sensor")
    period_s: float = Field(default=60.0, gt=0, description="sampling period")

    @model_validator(mode="after")
    def _range(self) -> Signal:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class FailureMode(_Strict):
    """A degradation process (gamma) whose health index shapes signals until it fails.

    The health index starts at 0 and grows by gamma increments with mean `wear_per_h` per
    running hour (a tenth of it while idle); the machine fails when it reaches 1.
    """

    id: str
    wear_per_h: float = Field(gt=0, description="mean growth of the health index per hour")
    shape_per_h: float = Field(
        gt=0, description="gamma shape per hour: larger means a smoother, more predictable path"
    )
    effects: dict[str, float] = Field(
        description="signal id -> change of the signal at health index 1 (in signal units)"
    )
    onset: float = Field(
        default=0.3,
        ge=0,
        lt=1,
        description="health index below which signals show no effect yet",
    )
    repair_h: float = Field(gt=0, description="corrective repair duration after a failure")
    repair_cost: float = Field(ge=0, description="parts and labour of a corrective repair")
    repair_crew: str
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
        description="operation name -> processing hours per unit of work"
    )
    signals: list[Signal]
    failure_modes: list[FailureMode]
    maintenance: list[MaintenanceAction]
    setpoints: list[Setpoint] = Field(default_factory=list)
    downtime_cost_per_h: float = Field(ge=0, description="lost contribution per hour stopped")

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


class MachineSpec(_Strict):
    id: str
    type: str
    line: str


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


class Plant(_Strict):
    """A whole plant, as its YAML file describes it."""

    name: str
    start: datetime = Field(default=datetime(2026, 1, 1, tzinfo=UTC))
    ambient_swing_c: float = Field(default=4.0, ge=0, description="daily ambient amplitude")
    lines: list[str] = Field(min_length=1)
    crews: dict[str, int]
    machine_types: dict[str, MachineType]
    machines: list[MachineSpec] = Field(min_length=1)
    orders: Orders
    kind: Literal["plant"] = "plant"

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
        for name, mt in self.machine_types.items():
            crews = {a.crew for a in mt.maintenance} | {f.repair_crew for f in mt.failure_modes}
            unknown = crews - set(self.crews)
            if unknown:
                raise ValueError(f"machine type {name!r} uses unknown crews {sorted(unknown)}")
        offered = {op for mt in self.machine_types.values() for op in mt.operations}
        for product in self.orders.products:
            missing = set(product.routing) - offered
            if missing:
                raise ValueError(
                    f"product {product.id!r} needs operations no machine runs: {sorted(missing)}"
                )
        return self

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
