"""The plant file's model: lines, machine types, machines, orders, a continuous process, rules.

A machine type carries what machines of that type share (operations, signals, failure modes,
maintenance actions, setpoints); a machine names its type and line. `Plant.machine(id)`
gives the resolved view the rest of jayul uses. The machine types' parts are in
`jayul.plant.machines`, the alarm and four-eyes rules in `jayul.plant.rules`, the health
monitor's alert timing (`monitoring:`) in `jayul.plant.monitoring`; all are re-exported here,
where the rest of jayul imports them from.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator

from jayul.plant.base import NotModelledError, Strict, modelled
from jayul.plant.machines import (
    DEFAULT_LINE,
    Envelope,
    FailureMode,
    MachineSpec,
    MachineType,
    MaintenanceAction,
    Setpoint,
    Signal,
    crews_of,
)
from jayul.plant.monitoring import Monitoring
from jayul.plant.process import EmissionFactors as EmissionFactors
from jayul.plant.process import Process, check_process
from jayul.plant.process import ProductLimit as ProductLimit
from jayul.plant.process import SoftSensorSpec as SoftSensorSpec
from jayul.plant.rules import AlarmRule, FourEyesRule

__all__ = [
    "DEFAULT_LINE",
    "AlarmRule",
    "EmissionFactors",
    "Envelope",
    "FailureMode",
    "FourEyesRule",
    "MachineSpec",
    "MachineType",
    "MaintenanceAction",
    "Monitoring",
    "NotModelledError",
    "Orders",
    "Plant",
    "Process",
    "Product",
    "ProductLimit",
    "Setpoint",
    "Signal",
    "modelled",
]


class Product(Strict):
    id: str
    routing: list[str] = Field(min_length=1, description="operation names, in order")
    work: float = Field(gt=0, description="units of work per order")
    share: float = Field(gt=0, description="relative frequency among orders")


class Orders(Strict):
    arrivals_per_h: float = Field(gt=0)
    due_after_h: tuple[float, float] = Field(description="due date window after release, hours")
    tardiness_cost_per_h: float = Field(ge=0)
    products: list[Product] = Field(min_length=1)


class Plant(Strict):
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
    monitoring: Monitoring = Field(
        default_factory=Monitoring,
        description="the health monitor's alert timing (smoothing, raise and clear hours)",
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
            unknown = crews_of(mt) - set(self.crews) if self.crews else set()
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
            missing = sorted(crews_of(mt) - set(self.crews))
            if missing:
                gaps.append(f"plant.crews: the crews {name!r} needs ({', '.join(missing)})")
        return gaps

    def machine_type(self, machine_id: str) -> MachineType:
        return self.machine_types[self.spec(machine_id).type]

    def crew_capacity(self) -> dict[str, int]:
        """Crews and how many may work at once, for planning: the `crews:` section, or, on a
        plant file without one (crews not modelled), every crew its machine types name with
        room for every machine at once, so a plan is not held back by a limit nobody declared."""
        if self.crews:
            return dict(self.crews)
        named = set().union(*(crews_of(mt) for mt in self.machine_types.values()))
        return dict.fromkeys(sorted(named), len(self.machines))

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
