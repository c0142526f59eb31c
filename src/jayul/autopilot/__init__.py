"""The autopilot: the loop that ties source, historian, health, policy, gate and executor."""

from jayul.autopilot.counters import Counters
from jayul.autopilot.executor import ActionExecutor, TwinExecutor
from jayul.autopilot.loop import Autopilot
from jayul.autopilot.monitor import HealthMonitor
from jayul.autopilot.plant_port import EventFeed, MachineReading, PlantPort, PlantUpdate
from jayul.autopilot.twin_plant import TwinPlant

__all__ = [
    "ActionExecutor",
    "Autopilot",
    "Counters",
    "EventFeed",
    "HealthMonitor",
    "MachineReading",
    "PlantPort",
    "PlantUpdate",
    "TwinExecutor",
    "TwinPlant",
]
