"""The deployment gate: low and medium may deploy; high needs a named approver; critical never.

A version whose card declares back-test limits (`ModelCard.acceptance`) deploys only if its
held-out figures meet them, whoever approves: a first model has no serving version to beat,
so its back-test against the declared limits is what it is judged by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from jayul.govern.card import ModelCard
from jayul.govern.scorecard import Scorecard
from jayul.records.events import RiskClass


@dataclass(frozen=True)
class DeployDecision:
    allowed: bool
    reason: str


def deployment_gate(
    card: Scorecard | None,
    approver: str | None = None,
    model_card: ModelCard | None = None,
    metrics: Mapping[str, float] | None = None,
) -> DeployDecision:
    """May a model with this scorecard (and this model card's declared back-test limits, met
    by `metrics`) go live? A model with no scorecard may not."""
    limits = model_card.acceptance if model_card is not None else []
    missed = [m for m in (lim.failure(metrics or {}) for lim in limits) if m is not None]
    if missed:
        return DeployDecision(False, "back-test outside the declared limits: " + "; ".join(missed))
    decision = _by_risk(card, approver)
    if decision.allowed and limits:
        return DeployDecision(True, f"{decision.reason}, back-test within the declared limits")
    return decision


def _by_risk(card: Scorecard | None, approver: str | None) -> DeployDecision:
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
