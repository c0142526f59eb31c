"""Deciding: maintenance policies and the CP-SAT maintenance and production planner.

Names load on first use (PEP 562), so importing a policy does not load OR-Tools.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jayul.decide.baselines import ConditionBased, Preventive, Reactive
    from jayul.decide.cost import CostBreakdown, evaluate_plan
    from jayul.decide.plan import Plan, ScheduledMaintenance, ScheduledOp
    from jayul.decide.planner import Planner, PlannerConfig, dispatch_plan
    from jayul.decide.policy import MachineView, Observation, PlanningPolicy, Policy, RulView
    from jayul.decide.predictive import Predictive
    from jayul.decide.problem import (
        FailureRisk,
        MachineState,
        MaintenanceOption,
        OpenOperation,
        PlanningProblem,
    )

_WHERE = {
    "ConditionBased": "jayul.decide.baselines",
    "CostBreakdown": "jayul.decide.cost",
    "FailureRisk": "jayul.decide.problem",
    "MachineState": "jayul.decide.problem",
    "MachineView": "jayul.decide.policy",
    "MaintenanceOption": "jayul.decide.problem",
    "Observation": "jayul.decide.policy",
    "OpenOperation": "jayul.decide.problem",
    "Plan": "jayul.decide.plan",
    "Planner": "jayul.decide.planner",
    "PlannerConfig": "jayul.decide.planner",
    "PlanningPolicy": "jayul.decide.policy",
    "PlanningProblem": "jayul.decide.problem",
    "Policy": "jayul.decide.policy",
    "Predictive": "jayul.decide.predictive",
    "Preventive": "jayul.decide.baselines",
    "Reactive": "jayul.decide.baselines",
    "RulView": "jayul.decide.policy",
    "ScheduledMaintenance": "jayul.decide.plan",
    "ScheduledOp": "jayul.decide.plan",
    "dispatch_plan": "jayul.decide.planner",
    "evaluate_plan": "jayul.decide.cost",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'jayul.decide' has no attribute {name!r}")


__all__ = [
    "ConditionBased",
    "CostBreakdown",
    "FailureRisk",
    "MachineState",
    "MachineView",
    "MaintenanceOption",
    "Observation",
    "OpenOperation",
    "Plan",
    "Planner",
    "PlannerConfig",
    "PlanningPolicy",
    "PlanningProblem",
    "Policy",
    "Predictive",
    "Preventive",
    "Reactive",
    "RulView",
    "ScheduledMaintenance",
    "ScheduledOp",
    "dispatch_plan",
    "evaluate_plan",
]
