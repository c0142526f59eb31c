"""An alarm and its lifecycle, in the spirit of ISA-18.2.

One physical problem is one alarm: the alerts of the same machine and failure mode (or the
hits of one alarm rule on one machine) update it, counting, instead of flooding the operator.
An alarm's state moves only by the transitions below, each recorded with who, when and why:

    active ──acknowledge──> acknowledged ──condition normal──> cleared
      │                                                          ^
      └──condition normal──> rtn_unacked ──acknowledge───────────┘
                               (condition again: back to active, the same alarm)

    any open state ──shelve(until T)──> shelved ──(T passes, or unshelve)──> where it was, or
      where the condition went meanwhile (normal: rtn_unacked, or cleared if acknowledged)
    any open state ──clear (a person, or jayul when the machine's maintenance ended)──> cleared

"Condition normal" is a rule alarm's return to normal (`RuleEngine`: past the rule's deadband
for `clear_after_s`); a detector's alarm is cleared by the maintenance or repair that ends the
problem, or by a person. `cleared` is final: a new alert on the same key opens a new alarm. A
refused transition raises `AlarmError` saying why (e.g. acknowledging a cleared alarm).
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
    RTN_UNACKED = "rtn_unacked"  # the condition returned to normal, nobody acknowledged yet
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


OPEN_STATES = (
    AlarmState.ACTIVE,
    AlarmState.ACKNOWLEDGED,
    AlarmState.RTN_UNACKED,
    AlarmState.SHELVED,
)


class Step(BaseModel):
    """One entry of an alarm's history: a transition, a comment, an assignment or a link."""

    time: int
    who: str
    what: str  # raised, acknowledged, returned, active again, shelved, unshelved, cleared, ...
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
    normal_since: int | None = None  # a rule's condition back to normal since (None: active)
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
        if self.normal_since is not None:  # the condition is back before anyone acknowledged
            self.normal_since = None
            if self.state is AlarmState.RTN_UNACKED:
                self.state = AlarmState.ACTIVE
            elif self.shelved_from is AlarmState.RTN_UNACKED:
                self.shelved_from = AlarmState.ACTIVE
            self._note(now, "jayul", "active again", message)
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
            self._off_shelf("jayul", now, "shelf time over")
            return True
        return False

    def _off_shelf(self, who: str, now: int, note: str) -> None:
        """Back where the alarm was, unless its condition returned to normal on the shelf."""
        back = self.shelved_from or AlarmState.ACTIVE
        self.shelved_until = self.shelved_from = None
        self.state = back
        self._note(now, who, "unshelved", note)
        if self.normal_since is not None and back is not AlarmState.RTN_UNACKED:
            self.normal_since = None  # so that return_to_normal moves it on
            self.return_to_normal(now, "returned to normal while shelved")

    def return_to_normal(self, now: int, note: str) -> str | None:
        """A rule's condition is normal again: an acknowledged alarm is cleared (by jayul), an
        unacknowledged one waits for its acknowledgement (rtn_unacked), a shelved one keeps
        its shelf and moves on when the shelf ends. What happened, or None if nothing did."""
        if self.state is AlarmState.CLEARED or self.normal_since is not None:
            return None
        self.normal_since = now
        if self.state is AlarmState.ACKNOWLEDGED:
            self.state = AlarmState.CLEARED
            self.cleared_by, self.cleared_at = "jayul", now
            self._note(now, "jayul", "cleared", note)
            return "cleared"
        if self.state is AlarmState.ACTIVE:
            self.state = AlarmState.RTN_UNACKED
        self._note(now, "jayul", "returned", note)
        return "returned"

    # -- what people do ---------------------------------------------------------------------

    def acknowledge(self, who: str, now: int, note: str = "") -> None:
        if self.state not in (AlarmState.ACTIVE, AlarmState.RTN_UNACKED):
            raise AlarmError(
                f"alarm {self.id} is {self.state}; only an active alarm, or one returned "
                "to normal, is acknowledged"
            )
        self.acked_by, self.acked_at = who, now
        self._note(now, who, "acknowledged", note)
        if self.state is AlarmState.RTN_UNACKED:  # acknowledged and normal: over
            self.state = AlarmState.CLEARED
            self.cleared_by, self.cleared_at = who, now
            self._note(now, who, "cleared", "acknowledged after its return to normal")
        else:
            self.state = AlarmState.ACKNOWLEDGED

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
        self._off_shelf(who, now, "")

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
