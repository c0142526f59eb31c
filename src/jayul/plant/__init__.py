"""The plant file (YAML): lines, machines, signals, failure modes, maintenance, envelopes."""

from jayul.plant.load import (
    PlantFileError,
    demo_plant_path,
    load_demo_plant,
    load_plant,
    parse_plant,
)
from jayul.plant.model import (
    Envelope,
    FailureMode,
    MachineSpec,
    MachineType,
    MaintenanceAction,
    Orders,
    Plant,
    Product,
    Setpoint,
    Signal,
)

__all__ = [
    "Envelope",
    "FailureMode",
    "MachineSpec",
    "MachineType",
    "MaintenanceAction",
    "Orders",
    "Plant",
    "PlantFileError",
    "Product",
    "Setpoint",
    "Signal",
    "demo_plant_path",
    "load_demo_plant",
    "load_plant",
    "parse_plant",
]
