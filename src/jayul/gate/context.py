"""What the gate is told about a proposal, what it answers, and whom it trusts to propose."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from jayul.records.autonomy import AutonomyLevel
from jayul.records.events import Action, ActionKind


@dataclass(frozen=True)
class GateContext:
    """Evidence that comes with a proposal.

    `proposer` is the identity of the caller as the calling layer authenticated it (the
    autopilot, an API user), never taken from the action itself. `verdict` is the verifier's
    judgement after running the action on a forked twin (True accept, False reject, None not
    verified). `agreement` holds independent checks for critical actions, e.g.
    {"detector": True, "rul": True, "twin": True}. `uncertainty` is the proposing model's
    relative uncertainty (e.g. RUL interval width over its median).
    """

    proposer: str
    verdict: bool | None = None
    verdict_reason: str = ""
    agreement: Mapping[str, bool] = field(default_factory=dict)
    uncertainty: float | None = None


class OutcomeStatus(StrEnum):
    EXECUTED = "executed"
    REFUSED = "refused"
    PENDING = "pending"  # waiting in the approval queue
    ADVISED = "advised"  # L1: shown to people, not carried out
    MONITORED = "monitored"  # L0: recorded only
    FAILED = "failed"  # the executor raised


@dataclass(frozen=True)
class GateOutcome:
    """The gate's answer for one action: what happened, which check decided and why."""

    action_id: str
    status: OutcomeStatus
    check: str
    reason: str
    level: AutonomyLevel | None = None
    approval_id: str | None = None
    exceptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class GateDecision:
    """One proposal as the gate decided it: for summaries (the audit trail has everything)."""

    time: int  # ns
    action: Action
    outcome: GateOutcome
    verdict_reason: str  # the verifier's, "" when there was no verdict


@dataclass(frozen=True)
class GatePolicy:
    """The gate's stated thresholds (the interlock has none: it is not configurable)."""

    uncertainty_limit: float = 0.5
    min_agreeing: int = 2
    require_verdict: bool = True
    critical_kinds: frozenset[ActionKind] = frozenset({ActionKind.STOP_MACHINE})


@dataclass(frozen=True)
class Origin:
    """A registered proposer of actions: a policy or a deployed model."""

    name: str
    max_level: AutonomyLevel = AutonomyLevel.L4
    proposers: frozenset[str] | None = None  # callers allowed to speak for it; None: any


class Origins:
    """The policies and models allowed to propose actions, each with its autonomy cap."""

    def __init__(self, origins: list[Origin] | None = None) -> None:
        self._known: dict[str, Origin] = {o.name: o for o in origins or []}

    def register(
        self,
        name: str,
        max_level: AutonomyLevel = AutonomyLevel.L4,
        proposers: frozenset[str] | None = None,
    ) -> None:
        """Allow `name` to propose, at most at `max_level` (from its risk scorecard)."""
        self._known[name] = Origin(name, max_level, proposers)

    def get(self, name: str) -> Origin | None:
        return self._known.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._known

    def names(self) -> list[str]:
        return sorted(self._known)


def problem_with_origin(origins: Origins, action: Action, proposer: str) -> str | None:
    """Why the action's claimed origin cannot be trusted, or None."""
    origin = origins.get(action.origin)
    if origin is None:
        return f"unknown origin {action.origin!r} (not a registered policy or model)"
    if origin.proposers is not None and proposer not in origin.proposers:
        return f"caller {proposer!r} may not propose for origin {action.origin!r}"
    return None


def is_critical(action: Action, policy: GatePolicy) -> bool:
    return action.risk.value == "critical" or action.kind in policy.critical_kinds
