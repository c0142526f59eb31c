"""The plant file's machine types and machines: signals, failure modes, maintenance actions and
setpoints with their safe envelopes.

A machine type carries what machines of that type share; a machine names its type and line.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from jayul.plant.base import Strict, check_range


class Envelope(Strict):
    """A setpoint's safe envelope: a hard interlock no model, policy or user can pass."""

    low: float
    high: float
    max_step: float | None = Field(
        default=None, gt=0, description="largest change allowed in one action"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Envelope:
        check_range(self.low, self.high)
        return self

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


class Setpoint(Strict):
    id: str
    unit: str
    default: float
    envelope: Envelope

    @model_validator(mode="after")
    def _default_inside(self) -> Setpoint:
        if not self.envelope.contains(self.default):
            raise ValueError(f"default {self.default} lies outside its envelope")
        return self


class Signal(Strict):
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
        if self.low is not None and self.high is not None:
            check_range(self.low, self.high)
        return self


class FailureMode(Strict):
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


class MaintenanceAction(Strict):
    id: str
    restores: list[str] = Field(description="failure modes whose health this action resets")
    duration_h: float = Field(gt=0)
    crew: str = Field(
        "maintenance", description="the crew that does it (default: one crew, `maintenance`)"
    )
    cost: float = Field(0.0, ge=0, description="parts and labour per action (0: not costed)")


class MachineType(Strict):
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


def crews_of(mt: MachineType) -> set[str]:
    repairs = {f.repair_crew for f in mt.failure_modes if f.repair_crew is not None}
    return {a.crew for a in mt.maintenance} | repairs


class MachineSpec(Strict):
    id: str
    type: str
    line: str = DEFAULT_LINE
