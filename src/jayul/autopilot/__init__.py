"""The autopilot: the loop that ties source, historian, health, policy, gate and executor."""

from jayul.autopilot.counters import Counters
from jayul.autopilot.executor import ActionExecutor, TwinExecutor
from jayul.autopilot.loop import Autopilot
from jayul.autopilot.monitor import HealthMonitor

__all__ = ["ActionExecutor", "Autopilot", "Counters", "HealthMonitor", "TwinExecutor"]
