"""Calibrate the digital twin from a plant's own history (signals and the maintenance log)."""

from jayul.calibrate.fit import Calibration, calibrate
from jayul.calibrate.history import HistoryError

__all__ = ["Calibration", "HistoryError", "calibrate"]
