"""The gate: the only way an `Action` reaches the plant.

Checks, in this order, for every proposal:
1. interlock: the safe envelope (hard rule, cannot be configured off);
2. origin: the claimed policy or model is registered and the caller may speak for it;
3. rate limit: at most N proposals per machine per window;
4. verdict: the verifier's judgement on the twin (a rejection refuses; none is an exception);
5. agreement: for critical actions, independent checks must all agree;
6. uncertainty: the model's relative uncertainty must stay under the limit;
7. autonomy level: L0 record, L1 advise, L2 ask a person, L3 act unless an exception
   (or critical risk) asks a person, L4 act unless an exception asks a person;
8. duplicate (at L2-L4, where the proposal would queue a request or run): refused when the
   machine has a request standing (open, or approved and not yet run) or an action executing
   for the same work (`jayul.gate.duplicates` says what is the same work). At L0 and L1 a
   proposal is only recorded or shown, so a repeat is not refused.
Every outcome is audited with the check that decided and the reason. An action reaches the
executor only after its `action_dispatched` record is committed, and every outcome is
committed before `propose` returns it.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from jayul.gate.approvals import Approval, ApprovalQueue, FourEyes
from jayul.gate.autonomy import AutonomyConfig, kill_file_for
from jayul.gate.context import (
    GateContext,
    GateDecision,
    GateOutcome,
    GatePolicy,
    Origins,
    OutcomeStatus,
    is_critical,
    problem_with_origin,
)
from jayul.gate.duplicates import WorkKey, duplicate_reason, standing_request, work_key
from jayul.gate.interlock import CurrentValue, envelope_violation
from jayul.gate.ratelimit import RateLimiter
from jayul.govern.audit import AuditLog
from jayul.govern.db import Connection, as_connection
from jayul.plant.model import Plant
from jayul.records.autonomy import AutonomyLevel
from jayul.records.events import Action, ActionKind, RiskClass

Executor = Callable[[Action], bool | None]
"""Carries an action out; returns False (or raises) when the plant declines it."""


class Gate:
    """Decides, for each proposed action, to execute, refuse, queue or only record it."""

    def __init__(
        self,
        plant: Plant,
        db: str | Path | Connection,
        executor: Executor,
        origins: Origins,
        policy: GatePolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        current: CurrentValue | None = None,
        audit: AuditLog | None = None,
        default_level: AutonomyLevel = AutonomyLevel.L1,
        approval_timeout_ns: int | None = None,
        kill_file: Path | None = None,
        four_eyes: FourEyes | None = None,
    ) -> None:
        self.plant = plant
        self.con = as_connection(db)
        self.audit = audit or AuditLog(self.con)
        if kill_file is None and isinstance(db, str | Path) and str(db) != ":memory:":
            kill_file = kill_file_for(db)
        self.autonomy = AutonomyConfig(self.con, self.audit, default_level, kill_file)
        queue_args = {} if approval_timeout_ns is None else {"timeout_ns": approval_timeout_ns}
        if four_eyes is None:  # the plant file's rule (default: everywhere)
            rule = plant.four_eyes
            four_eyes = FourEyes(frozenset(rule.kinds), frozenset(rule.levels))
        self.approvals = ApprovalQueue(self.con, self.audit, four_eyes=four_eyes, **queue_args)
        self.executor = executor
        self.origins = origins
        self.policy = policy or GatePolicy()
        self.rate = rate_limiter or RateLimiter()
        self._current_fn = current
        self._setpoints: dict[tuple[str, str], float] = {}
        # the work of the actions the executor is carrying out now, and their ids: a proposal
        # for the same work meanwhile (from another thread) is a duplicate
        self._executing: dict[WorkKey, str] = {}
        self.counts: Counter[str] = Counter()
        # the last decisions, newest last: what the demo prints at the end (the audit trail
        # holds them all)
        self.recent: deque[GateDecision] = deque(maxlen=20)

    # -- the current setpoints the interlock measures steps from ------------------------------

    def current_value(self, machine: str, setpoint: str) -> float:
        if self._current_fn is not None:
            return self._current_fn(machine, setpoint)
        default = self.plant.setpoint(machine, setpoint).default
        return self._setpoints.get((machine, setpoint), default)

    # -- proposals ----------------------------------------------------------------------------

    def propose_raw(self, data: Any, ctx: GateContext, now: int) -> GateOutcome:
        """Validate untrusted input (e.g. from the API) into an `Action`, then `propose`."""
        try:
            action = Action.model_validate(data)
        except ValidationError as exc:
            reason = f"malformed action: {exc.error_count()} problem(s): {exc.errors()[0]['msg']}"
            raw_id = str(data.get("id", "")) if isinstance(data, dict) else ""
            out = GateOutcome(raw_id, OutcomeStatus.REFUSED, "schema", reason)
            self._record(out, None, ctx, now, raw=data)
            return out
        return self.propose(action, ctx, now)

    def propose(self, action: Action, ctx: GateContext, now: int) -> GateOutcome:
        """Run the checks in order and act on the first that decides; always audited."""
        self.autonomy.check_kill_file(now)
        refused = self._refusal(action, ctx, now)
        if refused is not None:
            return self._finish(action, ctx, now, refused)
        level = self.level_for(action)
        exceptions = self._exceptions(action, ctx)
        if level == AutonomyLevel.L0:
            out = self._out(
                action, OutcomeStatus.MONITORED, "level", "L0: monitor only", level, exceptions
            )
        elif level == AutonomyLevel.L1:
            out = self._out(
                action, OutcomeStatus.ADVISED, "level", "L1: advice only", level, exceptions
            )
        elif duplicate := self._duplicate(action, now):
            out = self._out(action, OutcomeStatus.REFUSED, "duplicate", duplicate, level)
        else:
            asks = list(exceptions)
            if level == AutonomyLevel.L3 and action.risk is RiskClass.CRITICAL:
                asks.append("critical risk at L3")
            if level == AutonomyLevel.L2 or asks:
                why = "; ".join(asks) if asks else "L2: every action needs a person's approval"
                return self._queue(action, ctx, now, level, why, tuple(asks))
            return self._execute(action, ctx, now, level, "all checks passed", None)
        return self._finish(action, ctx, now, out)

    def level_for(self, action: Action) -> AutonomyLevel:
        """The configured level for the action's line and class, capped by its origin."""
        line = self.plant.spec(action.machine).line
        level = self.autonomy.level_for(line, action.kind)
        origin = self.origins.get(action.origin)
        return min(level, origin.max_level) if origin else AutonomyLevel.L0

    def _refusal(self, action: Action, ctx: GateContext, now: int) -> GateOutcome | None:
        violation = envelope_violation(self.plant, action, self.current_value)
        if violation:
            return self._out(action, OutcomeStatus.REFUSED, "interlock", violation)
        forged = problem_with_origin(self.origins, action, ctx.proposer)
        if forged:
            return self._out(action, OutcomeStatus.REFUSED, "origin", forged)
        if not self.rate.allow(action.machine, now):
            why = f"more than {self.rate.max_actions} proposals for {action.machine} per window"
            return self._out(action, OutcomeStatus.REFUSED, "rate_limit", why)
        if ctx.verdict is False:
            why = f"the verifier rejected it: {ctx.verdict_reason or 'no reason given'}"
            return self._out(action, OutcomeStatus.REFUSED, "verdict", why)
        return None

    def _duplicate(self, action: Action, now: int) -> str | None:
        """Why `action` repeats work its machine already has standing or executing, or None."""
        item = standing_request(self.approvals, action, now)
        if item is not None:
            return duplicate_reason(item, action.kind)
        running = self._executing.get(work_key(action))
        if running is not None:
            return (
                f"duplicate: {action.machine} has action {running} for the same work "
                f"({action.kind.value}) executing now"
            )
        return None

    def _exceptions(self, action: Action, ctx: GateContext) -> tuple[str, ...]:
        """Reasons a person must decide even where the level would let jayul act alone."""
        found = []
        if ctx.verdict is None and self.policy.require_verdict:
            # the verifier's note says why (e.g. no calibrated twin of a real plant)
            found.append(f"not verified on the twin ({ctx.verdict_reason})" if ctx.verdict_reason
                         else "not verified on the twin")  # fmt: skip
        if is_critical(action, self.policy):
            disagree = sorted(k for k, ok in ctx.agreement.items() if not ok)
            if disagree:
                found.append(f"critical action, checks disagree: {', '.join(disagree)}")
            elif len(ctx.agreement) < self.policy.min_agreeing:
                found.append(
                    f"critical action with {len(ctx.agreement)} independent check(s), "
                    f"needs {self.policy.min_agreeing}"
                )
        u = ctx.uncertainty
        if u is not None and (not math.isfinite(u) or u > self.policy.uncertainty_limit):
            found.append(f"uncertainty {u:.2f} above {self.policy.uncertainty_limit:.2f}")
        return tuple(found)

    # -- approvals ----------------------------------------------------------------------------

    def _queue(
        self,
        action: Action,
        ctx: GateContext,
        now: int,
        level: AutonomyLevel,
        why: str,
        asks: tuple[str, ...],
    ) -> GateOutcome:
        item = self.approvals.request(action, why, now, ctx.proposer, level)
        if asks:
            self.counts["escalations"] += 1
        out = GateOutcome(action.id, OutcomeStatus.PENDING, "approval", why, level, item.id, asks)
        return self._finish(action, ctx, now, out)

    def approve(
        self, approval_id: str, by: str, role: str, now: int, note: str = ""
    ) -> GateOutcome:
        """A person approves: record it, then execute (after the interlock runs again)."""
        item = self.approvals.decide(approval_id, True, by, role, now, note)
        return self._run_approved(item, now)

    def reject(self, approval_id: str, by: str, role: str, now: int, note: str = "") -> Approval:
        return self.approvals.decide(approval_id, False, by, role, now, note)

    def tick(self, now: int) -> list[GateOutcome]:
        """Escalate or expire timed-out requests; run requests approved from elsewhere (CLI)."""
        self.autonomy.reload()
        self.autonomy.check_kill_file(now)
        self.counts["approval_timeouts"] += len(self.approvals.expire(now))
        return [self._run_approved(item, now) for item in self.approvals.requests(("approved",))]

    def _run_approved(self, item: Approval, now: int) -> GateOutcome:
        action = item.action
        ctx = GateContext(proposer=f"approval:{item.decided_by}")
        violation = envelope_violation(self.plant, action, self.current_value)
        level = self.level_for(action)
        if violation:
            out = self._out(action, OutcomeStatus.REFUSED, "interlock", violation, level)
        elif level < AutonomyLevel.L2:
            out = self._out(
                action,
                OutcomeStatus.REFUSED,
                "level",
                f"approved, but autonomy is now {level.name}",
                level,
            )
        else:
            why = f"approved by {item.decided_by} ({item.decided_role})"
            out = self._execute(action, ctx, now, level, why, item.id)
            self.approvals.mark(item.id, out.status.value, now, out.reason)
            return out
        self.approvals.mark(item.id, out.status.value, now, out.reason)
        return self._finish(action, ctx, now, out)

    # -- execution and the record -------------------------------------------------------------

    def _execute(
        self,
        action: Action,
        ctx: GateContext,
        now: int,
        level: AutonomyLevel,
        why: str,
        approval_id: str | None,
    ) -> GateOutcome:
        # The record that the gate let this action through is committed before the action
        # reaches the plant: a crash between the two leaves a dispatched action on record,
        # never an action without one.
        self.audit.append(
            now,
            "gate",
            "action_dispatched",
            action.machine,
            why,
            {
                "action": action.model_dump(mode="json"),
                "level": level.name,
                "proposer": ctx.proposer,
                "approval": approval_id,
            },
            durable=True,
        )
        key = work_key(action)
        self._executing[key] = action.id
        try:
            done = self.executor(action)
        except Exception as exc:  # the plant said no: record it, never retry silently
            why = f"{type(exc).__name__}: {exc}"
            out = GateOutcome(action.id, OutcomeStatus.FAILED, "executor", why, level, approval_id)
            return self._finish(action, ctx, now, out)
        finally:
            self._executing.pop(key, None)
        if done is False:
            why = "the plant declined it (e.g. machine down or crew busy)"
            out = GateOutcome(action.id, OutcomeStatus.FAILED, "executor", why, level, approval_id)
            return self._finish(action, ctx, now, out)
        if action.kind is ActionKind.CHANGE_SETPOINT:
            key = (action.machine, str(action.params["setpoint"]))
            self._setpoints[key] = float(action.params["value"])
        out = GateOutcome(action.id, OutcomeStatus.EXECUTED, "executed", why, level, approval_id)
        return self._finish(action, ctx, now, out)

    def _out(
        self,
        action: Action,
        status: OutcomeStatus,
        check: str,
        reason: str,
        level: AutonomyLevel | None = None,
        exceptions: tuple[str, ...] = (),
    ) -> GateOutcome:
        return GateOutcome(action.id, status, check, reason, level, None, exceptions)

    def _finish(self, action: Action, ctx: GateContext, now: int, out: GateOutcome) -> GateOutcome:
        self._record(out, action, ctx, now)
        return out

    def _record(
        self, out: GateOutcome, action: Action | None, ctx: GateContext, now: int, raw: Any = None
    ) -> None:
        self.counts[out.status.value] += 1
        if action is not None:
            self.recent.append(GateDecision(now, action, out, ctx.verdict_reason))
        payload = {
            "action": action.model_dump(mode="json") if action else raw,
            "check": out.check,
            "level": out.level.name if out.level is not None else None,
            "proposer": ctx.proposer,
            "verdict": ctx.verdict,
            "verdict_reason": ctx.verdict_reason,
            "agreement": dict(ctx.agreement),
            "uncertainty": ctx.uncertainty,
            "exceptions": list(out.exceptions),
            "approval": out.approval_id,
        }
        subject = action.machine if action else ""
        # committed before the caller hears the outcome: what a client was told is on record
        self.audit.append(
            now, "gate", f"action_{out.status.value}", subject, out.reason, payload, durable=True
        )

    # -- kill switch and counters -------------------------------------------------------------

    def kill(self, by: str, now: int, reason: str) -> None:
        """Drop the whole plant to L0 at once."""
        self.autonomy.kill(by, now, reason)

    def counters(self) -> dict[str, int]:
        """Figures for the autopilot and the demo."""
        return {
            "actions_executed": self.counts["executed"],
            "actions_refused": self.counts["refused"],
            "actions_failed": self.counts["failed"],
            "actions_advised": self.counts["advised"],
            "actions_monitored": self.counts["monitored"],
            "escalations": self.counts["escalations"],
            "approval_timeouts": self.counts["approval_timeouts"],
            "approvals_pending": self.approvals.count_open(),
        }
