"""The alarm board: alerts and rule hits in, one alarm per problem out, and people's actions
on alarms, each audited.

`AlarmBoard.alert(alert, mode)` and `.rule_hit(hit)` find the open alarm of the same key
(machine and failure mode, or machine and rule) and count the repeat, or open a new alarm.
The board keeps the open alarms in memory and saves the changed ones at `flush()`, so a flood
of alerts costs a dictionary lookup each, not a database write. Listeners (`on_change`) hear
of every new alarm and every transition, e.g. the notifier, which must not block the loop:
they are called after the change, and their errors are counted, never raised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jayul.alarms.model import Alarm, AlarmError, AlarmState, Link, Severity, Step
from jayul.alarms.rules import RuleHit
from jayul.alarms.store import AlarmStore
from jayul.records import Alert

Listener = Callable[[Alarm, str], None]  # (alarm, what happened: raised, repeated, acknowledged...)
AuditHook = Callable[[int, str, str, str, str, dict[str, Any]], None]


def alert_severity(alert: Alert) -> Severity:
    """A detector alert's severity from how far its score is past its threshold."""
    if alert.threshold <= 0:
        return Severity.MEDIUM
    over = alert.score / alert.threshold
    if over >= 3.0:
        return Severity.CRITICAL
    if over >= 1.5:
        return Severity.HIGH
    return Severity.MEDIUM


class AlarmBoard:
    """Open alarms by key, their store, and the transitions people make."""

    def __init__(self, store: AlarmStore | None = None, audit: AuditHook | None = None) -> None:
        self.store = store
        self.audit = audit
        self.listeners: list[Listener] = []
        self.listener_errors = 0
        self.by_key: dict[str, Alarm] = {}
        self.by_id: dict[str, Alarm] = {}
        self._dirty: set[str] = set()
        if store is not None:
            for a in store.open_alarms():
                self._keep(a)

    def _keep(self, alarm: Alarm) -> None:
        self.by_id[alarm.id] = alarm
        if alarm.is_open:
            self.by_key[alarm.key] = alarm
        else:
            self.by_key.pop(alarm.key, None)

    def _changed(self, alarm: Alarm, what: str) -> None:
        self._keep(alarm)
        self._dirty.add(alarm.id)
        for listener in self.listeners:
            try:
                listener(alarm, what)
            except Exception:  # a listener's failure must never stop the loop
                self.listener_errors += 1

    # -- what the loop feeds ----------------------------------------------------------------

    def raise_or_repeat(
        self,
        key: str,
        machine: str,
        source: str,
        now: int,
        severity: Severity,
        message: str,
        *,
        mode: str | None = None,
        alert_id: str | None = None,
        value: float | None = None,
    ) -> Alarm:
        alarm = self.by_key.get(key)
        if alarm is not None:
            alarm.repeat(now, severity, message, alert_id)
            alarm.last_value = value if value is not None else alarm.last_value
            self._changed(alarm, "repeated")
            return alarm
        alarm = Alarm(
            key=key,
            machine=machine,
            source=source,
            mode=mode,
            severity=severity,
            message=message,
            first_ns=now,
            last_ns=now,
            last_alert_id=alert_id,
            last_value=value,
        )
        alarm.history.append(Step(time=now, who="jayul", what="raised", note=message))
        if self.audit is not None:
            self.audit(now, "jayul", "alarm_raised", alarm.id, message, _summary(alarm))
        self._changed(alarm, "raised")
        return alarm

    def alert(self, alert: Alert, mode: str | None = None) -> Alarm:
        """A detector's alert: one alarm per machine and failure mode."""
        key = f"{alert.machine}/{mode or alert.detector}"
        return self.raise_or_repeat(
            key,
            alert.machine,
            alert.detector,
            alert.time,
            alert_severity(alert),
            alert.reason(),
            mode=mode,
            alert_id=alert.id,
            value=alert.score,
        )

    def rule_hit(self, hit: RuleHit) -> Alarm | None:
        """A rule found true: one alarm per rule and machine; or, for a hit that says the
        rule's condition is normal again, that alarm's return to normal."""
        key = f"{hit.machine}/rule:{hit.rule.id}"
        if hit.normal:
            return self.return_to_normal(key, hit.time, hit.message)
        return self.raise_or_repeat(
            key,
            hit.machine,
            f"rule:{hit.rule.id}",
            hit.time,
            Severity(hit.rule.severity),
            hit.message,
            value=hit.value,
        )

    def return_to_normal(self, key: str, now: int, why: str) -> Alarm | None:
        """The open alarm of `key` saw its condition return to normal (ISA-18.2: acknowledged
        ones clear, unacknowledged ones wait for an acknowledgement, shelved ones keep their
        shelf); None when no alarm of that key is open."""
        alarm = self.by_key.get(key)
        if alarm is None:
            return None
        what = alarm.return_to_normal(now, why)
        if what is not None:
            self._audit(now, "jayul", f"alarm_{what}", alarm, why)
            self._changed(alarm, what)
        return alarm

    def tick(self, now: int) -> None:
        """Return shelved alarms whose shelf time is over (cleared, if their condition went
        back to normal on the shelf after they were acknowledged)."""
        for alarm in list(self.by_key.values()):
            if alarm.expire_shelf(now):
                if alarm.state is AlarmState.CLEARED:
                    self._audit(now, "jayul", "alarm_cleared", alarm, "normal after its shelf")
                self._changed(alarm, "unshelved")

    def resolved(self, machine: str, now: int, reason: str) -> list[Alarm]:
        """The machine's problem was dealt with (maintenance or repair ended): clear its
        detector alarms (rule alarms stay: their condition is checked on the data)."""
        done = []
        for alarm in list(self.by_key.values()):
            if alarm.machine == machine and not alarm.source.startswith("rule:"):
                alarm.clear("jayul", now, reason)
                self._audit(now, "jayul", "alarm_cleared", alarm, reason)
                self._changed(alarm, "cleared")
                done.append(alarm)
        return done

    def link(self, machine: str, link: Link) -> None:
        """Attach what was done (an action, an approval request) to the machine's open alarms."""
        for alarm in list(self.by_key.values()):
            if alarm.machine == machine and alarm.first_ns <= link.time:
                before = len(alarm.links)
                alarm.link(link)
                if len(alarm.links) != before:
                    self._changed(alarm, "linked")

    # -- what people do ---------------------------------------------------------------------

    def get(self, alarm_id: str) -> Alarm:
        alarm = self.by_id.get(alarm_id)
        if alarm is None and self.store is not None:
            alarm = self.store.get(alarm_id)
        if alarm is None:
            raise KeyError(f"no alarm {alarm_id!r}")
        return alarm

    def act(self, alarm_id: str, who: str, now: int, what: str, **kw: Any) -> Alarm:
        """A person's transition: acknowledge, shelve (until, reason), unshelve, clear
        (reason), assign (owner), comment (text). Audited; `AlarmError` when refused."""
        alarm = self.get(alarm_id)
        if what == "acknowledge":
            alarm.acknowledge(who, now, kw.get("note", ""))
        elif what == "shelve":
            alarm.shelve(who, now, int(kw["until"]), kw.get("reason", ""))
        elif what == "unshelve":
            alarm.unshelve(who, now)
        elif what == "clear":
            alarm.clear(who, now, kw.get("reason", ""))
        elif what == "assign":
            alarm.assign(who, now, kw.get("owner"))
        elif what == "comment":
            alarm.comment(who, now, kw.get("text", ""))
        else:
            raise AlarmError(f"unknown alarm action {what!r}")
        note = str(kw.get("reason") or kw.get("text") or kw.get("owner") or kw.get("note") or "")
        self._audit(now, who, f"alarm_{what}", alarm, note)
        if what == "unshelve" and alarm.state is AlarmState.CLEARED:
            self._audit(now, "jayul", "alarm_cleared", alarm, "normal after its shelf")
        self._changed(alarm, what)
        self.flush()
        return alarm

    def _audit(self, now: int, who: str, kind: str, alarm: Alarm, why: str) -> None:
        if self.audit is not None:
            self.audit(now, who, kind, alarm.id, why, _summary(alarm))

    def flush(self) -> None:
        """Save the alarms changed since the last flush."""
        if self.store is not None and self._dirty:
            self.store.save([self.by_id[i] for i in sorted(self._dirty) if i in self.by_id])
        self._dirty.clear()
        # cleared alarms need not stay in memory once saved
        for alarm_id in [i for i, a in self.by_id.items() if a.state is AlarmState.CLEARED]:
            del self.by_id[alarm_id]

    def alarms(self) -> list[Alarm]:
        """The open alarms, newest first."""
        return sorted(self.by_key.values(), key=lambda a: a.last_ns, reverse=True)


def _summary(alarm: Alarm) -> dict[str, Any]:
    return {
        "machine": alarm.machine,
        "key": alarm.key,
        "severity": alarm.severity.value,
        "state": alarm.state.value,
        "count": alarm.count,
    }
