"""The plant file (YAML): lines, machines, signals, failure modes, maintenance, envelopes."""

from jayul.plant.base import NotModelledError, modelled
from jayul.plant.load import (
    PlantFileError,
    demo_plant_path,
    load_demo_plant,
    load_plant,
    parse_plant,
)
from jayul.plant.machines import (
    Envelope,
    FailureMode,
    MachineSpec,
    MachineType,
    MaintenanceAction,
    Setpoint,
    Signal,
)
from jayul.plant.model import EmissionFactors, Orders, Plant, Process, Product, ProductLimit
from jayul.plant.monitoring import Monitoring
from jayul.plant.rules import AlarmRule, FourEyesRule

__all__ = [
    "AlarmRule",
    "EmissionFactors",
    "Envelope",
    "FailureMode",
    "FourEyesRule",
    "MachineSpec",
    "MachineType",
    "MaintenanceAction",
    "Monitoring",
    "NotModelledError",
    "Orders",
    "Plant",
    "PlantFileError",
    "Process",
    "Product",
    "ProductLimit",
    "Setpoint",
    "Signal",
    "demo_plant_path",
    "load_demo_plant",
    "load_plant",
    "modelled",
    "parse_plant",
]
