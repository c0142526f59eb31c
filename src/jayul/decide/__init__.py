"""Deciding: maintenance policies, the CP-SAT planner and the job-shop core.

Names load on first use (PEP 562), so importing a policy does not load OR-Tools.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jayul.decide.check import check_plan
    from jayul.decide.cost import CostBreakdown, evaluate_plan
    from jayul.decide.jobshop import JobShopInstance, JobShopSchedule, read_jsplib, solve_jobshop
    from jayul.decide.plan import Plan, ScheduledMaintenance, ScheduledOp
    from jayul.decide.planner import Planner, PlannerConfig, dispatch_plan
    from jayul.decide.problem import (
        FailureRisk,
        MachineState,
        MaintenanceOption,
        OpenOperation,
        PlanningProblem,
    )
    from jayul.decide.rolling import advance
    from jayul.decide.synthetic import random_problem, weibull_risk

_WHERE = {
    "CostBreakdown": "jayul.decide.cost",
    "FailureRisk": "jayul.decide.problem",
    "JobShopInstance": "jayul.decide.jobshop",
    "JobShopSchedule": "jayul.decide.jobshop",
    "MachineState": "jayul.decide.problem",
    "MaintenanceOption": "jayul.decide.problem",
    "OpenOperation": "jayul.decide.problem",
    "Plan": "jayul.decide.plan",
    "Planner": "jayul.decide.planner",
    "PlannerConfig": "jayul.decide.planner",
    "PlanningProblem": "jayul.decide.problem",
    "ScheduledMaintenance": "jayul.decide.plan",
    "ScheduledOp": "jayul.decide.plan",
    "advance": "jayul.decide.rolling",
    "check_plan": "jayul.decide.check",
    "dispatch_plan": "jayul.decide.planner",
    "evaluate_plan": "jayul.decide.cost",
    "random_problem": "jayul.decide.synthetic",
    "read_jsplib": "jayul.decide.jobshop",
    "solve_jobshop": "jayul.decide.jobshop",
    "weibull_risk": "jayul.decide.synthetic",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'jayul.decide' has no attribute {name!r}")


__all__ = [
    "CostBreakdown",
    "FailureRisk",
    "JobShopInstance",
    "JobShopSchedule",
    "MachineState",
    "MaintenanceOption",
    "OpenOperation",
    "Plan",
    "Planner",
    "PlannerConfig",
    "PlanningProblem",
    "ScheduledMaintenance",
    "ScheduledOp",
    "advance",
    "check_plan",
    "dispatch_plan",
    "evaluate_plan",
    "random_problem",
    "read_jsplib",
    "solve_jobshop",
    "weibull_risk",
]
