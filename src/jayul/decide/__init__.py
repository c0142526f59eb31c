"""jayul.decide."""

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
