"""An alarm and its lifecycle, in the spirit of ISA-18.2.

One physical problem is one alarm: the alerts of the same machine and failure mode (or the
hits of one alarm rule on one machine) update it, counting, instead of flooding the operator.
An alarm's state moves only by the transitions below, each recorded with who, when and why:

    active ──acknowledge──> acknowledged
      │  ╲                      │
      │   shelve(until T) ──> shelved ──(T passes, or unshelve)──> back where it was
      └──────── clear (a person, or jayul when the machine's maintenance/repair ended) ──> cleared

`cleared` is final: a new alert on the same key opens a new alarm. A refused transition
raises `AlarmError` saying why (e.g. acknowledging a cleared alarm).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from jayul.records.events import new_id


class AlarmError(ValueError):
    """A transition the alarm's state does not allow, or bad input to one."""


class AlarmState(StrEnum):
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    SHELVED = "shelved"
    CLEARED = "cleared"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


OPEN_STATES = (AlarmState.ACTIVE, AlarmState.ACKNOWLEDGED, AlarmState.SHELVED)


class Step(BaseModel):
    """One entry of an alarm's history: a transition, a comment, an assignment or a link."""

    time: int
    who: str
    what: str  # raised, acknowledged, shelved, unshelved, cleared, assigned, comment, linked
    note: str = ""


class Link(BaseModel):
    """What was done about an alarm: an action the gate decided on, an approval request."""

    kind: str  # action, approval
    id: str
    time: int
    status: str = ""
    note: str = ""


class Alarm(BaseModel):
    """One alarm: what, where, how bad, its state with who and when, and what was done."""

    id: str = Field(default_factory=new_id)
    key: str  # machine + failure mode or rule: the unit of deduplication
    machine: str
    source: str  # the detector's name, or "rule:<id>"
    mode: str | None = None  # the failure mode the signals point at, when known
    severity: Severity = Severity.MEDIUM
    state: AlarmState = AlarmState.ACTIVE
    message: str = ""
    first_ns: int
    last_ns: int
    count: int = 1
    last_alert_id: str | None = None
    last_value: float | None = None
    owner: str | None = None
    acked_by: str | None = None
    acked_at: int | None = None
    shelved_until: int | None = None
    shelved_by: str | None = None
    shelved_from: AlarmState | None = None
    cleared_by: str | None = None
    cleared_at: int | None = None
    history: list[Step] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def _note(self, now: int, who: str, what: str, note: str = "") -> None:
        self.history.append(Step(time=now, who=who, what=what, note=note))

    def _refuse_if_cleared(self, what: str) -> None:
        if self.state is AlarmState.CLEARED:
            raise AlarmError(f"alarm {self.id} is cleared; it cannot be {what}")

    # -- what the loop does -----------------------------------------------------------------

    def repeat(self, now: int, severity: Severity, message: str, alert_id: str | None) -> None:
        """Another alert on the same problem: count it, keep the worst severity."""
        self._refuse_if_cleared("raised again")
        self.count += 1
        self.last_ns = max(self.last_ns, now)
        self.message = message or self.message
        self.last_alert_id = alert_id or self.last_alert_id
        if severity.rank > self.severity.rank:
            self._note(now, "jayul", "escalated", f"severity {self.severity} -> {severity}")
            self.severity = severity

    def expire_shelf(self, now: int) -> bool:
        """Return a shelved alarm to its earlier state once its shelf time has passed."""
        shelved = self.state is AlarmState.SHELVED and self.shelved_until is not None
        if shelved and now >= (self.shelved_until or 0):
            self.state = self.shelved_from or AlarmState.ACTIVE
            self._note(now, "jayul", "unshelved", "shelf time over")
            self.shelved_until = self.shelved_from = None
            return True
        return False

    # -- what people do ---------------------------------------------------------------------

    def acknowledge(self, who: str, now: int, note: str = "") -> None:
        if self.state is not AlarmState.ACTIVE:
            raise AlarmError(
                f"alarm {self.id} is {self.state}; only an active alarm is acknowledged"
            )
        self.state = AlarmState.ACKNOWLEDGED
        self.acked_by, self.acked_at = who, now
        self._note(now, who, "acknowledged", note)

    def shelve(self, who: str, now: int, until: int, reason: str) -> None:
        self._refuse_if_cleared("shelved")
        if self.state is AlarmState.SHELVED:
            raise AlarmError(f"alarm {self.id} is already shelved")
        if until <= now:
            raise AlarmError("a shelf must end in the future (until > now)")
        if not reason.strip():
            raise AlarmError("shelving needs a reason")
        self.shelved_from = self.state
        self.state = AlarmState.SHELVED
        self.shelved_until, self.shelved_by = until, who
        self._note(now, who, "shelved", reason)

    def unshelve(self, who: str, now: int) -> None:
        if self.state is not AlarmState.SHELVED:
            raise AlarmError(f"alarm {self.id} is {self.state}, not shelved")
        self.state = self.shelved_from or AlarmState.ACTIVE
        self.shelved_until = self.shelved_from = None
        self._note(now, who, "unshelved")

    def clear(self, who: str, now: int, reason: str) -> None:
        self._refuse_if_cleared("cleared again")
        if not reason.strip():
            raise AlarmError("clearing needs a reason")
        self.state = AlarmState.CLEARED
        self.cleared_by, self.cleared_at = who, now
        self.shelved_until = self.shelved_from = None
        self._note(now, who, "cleared", reason)

    def assign(self, who: str, now: int, owner: str | None) -> None:
        self._refuse_if_cleared("assigned")
        self.owner = owner or None
        self._note(now, who, "assigned", owner or "nobody")

    def comment(self, who: str, now: int, text: str) -> None:
        if not text.strip():
            raise AlarmError("a comment needs text")
        self._note(now, who, "comment", text)

    def link(self, link: Link) -> None:
        if any(k.kind == link.kind and k.id == link.id for k in self.links):
            return  # the same action seen twice (e.g. a decision and its outcome)
        self.links.append(link)
        self._note(link.time, "jayul", "linked", f"{link.kind} {link.id}: {link.status}")

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
