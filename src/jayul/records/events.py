"""Events: small typed records with an id, a time, a machine, a kind and a payload.

Alerts, decisions, verdicts, approvals and actions are events too, so the historian and the
audit log hold one story.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def new_id() -> str:
    return uuid.uuid4().hex


class EventKind(StrEnum):
    ORDER_RELEASED = "order_released"
    ORDER_DONE = "order_done"
    OPERATION_START = "operation_start"
    OPERATION_END = "operation_end"
    FAILURE = "failure"
    REPAIR_START = "repair_start"
    REPAIR_END = "repair_end"
    MAINTENANCE_START = "maintenance_start"
    MAINTENANCE_END = "maintenance_end"
    ALERT = "alert"
    DECISION = "decision"
    ACTION = "action"
    VERDICT = "verdict"
    APPROVAL = "approval"
    SETPOINT = "setpoint"


class Event(BaseModel):
    """One thing that happened. `time` is UTC nanoseconds since the epoch."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=new_id)
    time: int
    machine: str | None = None
    kind: EventKind
    payload: dict[str, Any] = Field(default_factory=dict)


class SignalContribution(BaseModel):
    """One signal's part in an anomaly score: its share of the score and which way it moved."""

    model_config = ConfigDict(frozen=True)

    signal: str
    share: float
    direction: int  # +1 above normal, -1 below normal, 0 unknown
    z: float | None = None  # deviation in standard deviations, when the detector has one


class Alert(BaseModel):
    """A detector's judgement that a machine is abnormal, with the signals that drove it."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=new_id)
    time: int
    machine: str
    detector: str
    score: float
    threshold: float
    contributions: list[SignalContribution] = Field(default_factory=list)
    # what the alert's judge concluded beyond the signal breakdown, in words: the known fault
    # it looks like, or a soft sensor drifting from its analyser
    finding: str | None = None

    def reason(self) -> str:
        """A sentence a person can check, such as 'vib_rms +4.2σ, current +2.1σ', followed
        by the finding when there is one."""
        breakdown = self._breakdown()
        if self.finding is None:
            return breakdown
        return f"{breakdown}; {self.finding}" if self.contributions else self.finding

    def _breakdown(self) -> str:
        parts = []
        for c in self.contributions[:3]:
            sign = "+" if c.direction >= 0 else "-"
            if c.z is not None:
                parts.append(f"{c.signal} {sign}{abs(c.z):.1f}σ")
            else:
                parts.append(f"{c.signal} {c.share:.0%}")
        return ", ".join(parts) if parts else "no signal breakdown"

    def to_event(self) -> Event:
        return Event(
            id=self.id,
            time=self.time,
            machine=self.machine,
            kind=EventKind.ALERT,
            payload={
                "detector": self.detector,
                "score": self.score,
                "threshold": self.threshold,
                "reason": self.reason(),
                "contributions": [c.model_dump() for c in self.contributions],
                **({"finding": self.finding} if self.finding is not None else {}),
            },
        )


class ActionKind(StrEnum):
    START_MAINTENANCE = "start_maintenance"
    CHANGE_SCHEDULE = "change_schedule"
    CHANGE_SETPOINT = "change_setpoint"
    STOP_MACHINE = "stop_machine"
    RELEASE_ORDER = "release_order"


class RiskClass(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Action(BaseModel):
    """Something jayul wants done to the plant. It is carried out only through the gate."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=new_id)
    time: int
    machine: str
    kind: ActionKind
    params: dict[str, Any] = Field(default_factory=dict)
    origin: str  # which policy or model proposed it
    alert_id: str | None = None
    expected_effect: str = ""
    risk: RiskClass = RiskClass.LOW

    def to_event(self) -> Event:
        return Event(
            id=self.id,
            time=self.time,
            machine=self.machine,
            kind=EventKind.ACTION,
            payload={
                "action": self.kind.value,
                "params": self.params,
                "origin": self.origin,
                "alert_id": self.alert_id,
                "expected_effect": self.expected_effect,
                "risk": self.risk.value,
            },
        )


class Decision(BaseModel):
    """A policy's choice, with the reason in one line; it may produce actions."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=new_id)
    time: int
    machine: str | None = None
    policy: str
    summary: str
    actions: list[Action] = Field(default_factory=list)

    def to_event(self) -> Event:
        return Event(
            id=self.id,
            time=self.time,
            machine=self.machine,
            kind=EventKind.DECISION,
            payload={
                "policy": self.policy,
                "summary": self.summary,
                "actions": [a.id for a in self.actions],
            },
        )
