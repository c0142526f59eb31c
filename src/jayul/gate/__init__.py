"""The gate: autonomy levels, the safe-envelope interlock, approvals, kill switch, rate limits.

Every action jayul wants to carry out goes through `Gate.propose`; see docs/autonomy.md.
"""

from jayul.gate.approvals import APPROVER_ROLES, Approval, ApprovalQueue, FourEyes
from jayul.gate.autonomy import AutonomyConfig, scope_name
from jayul.gate.context import (
    GateContext,
    GateDecision,
    GateOutcome,
    GatePolicy,
    Origin,
    Origins,
    OutcomeStatus,
)
from jayul.gate.gate import Executor, Gate
from jayul.gate.interlock import envelope_violation
from jayul.gate.ratelimit import RateLimiter
from jayul.records.autonomy import AutonomyLevel

__all__ = [
    "APPROVER_ROLES",
    "Approval",
    "ApprovalQueue",
    "AutonomyConfig",
    "AutonomyLevel",
    "Executor",
    "FourEyes",
    "Gate",
    "GateContext",
    "GateDecision",
    "GateOutcome",
    "GatePolicy",
    "Origin",
    "Origins",
    "OutcomeStatus",
    "RateLimiter",
    "envelope_violation",
    "scope_name",
]
