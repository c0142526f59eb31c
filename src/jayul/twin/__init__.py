"""The digital-twin factory (SimPy): orders, machines, degradation, failures, crews, sensors."""

from jayul.twin.dispatch import Dispatcher, EarliestDueDate
from jayul.twin.executor import TwinExecutor
from jayul.twin.factory import Twin
from jayul.twin.kpis import Kpis
from jayul.twin.state import MachineState, Operation, Order, Status

__all__ = [
    "Dispatcher",
    "EarliestDueDate",
    "Kpis",
    "MachineState",
    "Operation",
    "Order",
    "Status",
    "Twin",
    "TwinExecutor",
]
