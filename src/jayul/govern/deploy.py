"""The deployment gate: low and medium may deploy; high needs a named approver; critical never."""

from __future__ import annotations

from dataclasses import dataclass

from jayul.govern.scorecard import Scorecard
from jayul.records.events import RiskClass


@dataclass(frozen=True)
class DeployDecision:
    allowed: bool
    reason: str


def deployment_gate(card: Scorecard | None, approver: str | None = None) -> DeployDecision:
    """May a model with this scorecard go live? A model with no scorecard may not."""
    if card is None:
        return DeployDecision(False, "no risk scorecard: score the model before deploying it")
    level = card.overall
    if level is RiskClass.CRITICAL:
        worst = [k for k, r in card.ratings().items() if r.level is RiskClass.CRITICAL]
        return DeployDecision(False, f"critical risk ({', '.join(worst)}) never deploys")
    if level is RiskClass.HIGH:
        if not approver or not approver.strip():
            return DeployDecision(False, "high risk: deployment needs a named approver")
        return DeployDecision(True, f"high risk, approved by {approver.strip()}")
    return DeployDecision(True, f"{level.value} risk")
