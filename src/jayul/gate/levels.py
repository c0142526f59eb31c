"""`AutonomyLevel` lives in `jayul.records.autonomy` (governance reads it too, and governance
sits below the gate); this name stays so that `jayul.gate.levels.AutonomyLevel` keeps working."""

from jayul.records.autonomy import AutonomyLevel

__all__ = ["AutonomyLevel"]
