"""The plant file's rules beyond the machines: alarm rules declared without code, and where the
four-eyes rule holds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from jayul.plant.base import Strict
from jayul.records.autonomy import AutonomyLevel
from jayul.records.events import ActionKind


class AlarmRule(Strict):
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


class FourEyesRule(Strict):
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
