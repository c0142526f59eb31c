"""Remaining useful life: the `RulModel` interface, features, labels, calibration.

Histories are 2-D arrays (rows = time steps, oldest first; columns = signals); remaining life
is counted in rows. The product's model is `BoostedWindowRul` (LightGBM), one per machine type
and failure mode (`fleet.FleetRulModels`, what the live RUL monitor runs); `jayul bench cmapss
--model boosted` measures it on C-MAPSS. The C-MAPSS benchmark's blend of several families
(`BlendedWindowRul`) and its members live with that benchmark, in `jayul.bench.cmapss`.
"""

from jayul.health.rul.boosting import BoostedWindowRul
from jayul.health.rul.conformal import DEFAULT_LEVELS, MondrianResidualCalibrator
from jayul.health.rul.features import WindowFeatures
from jayul.health.rul.labels import piecewise_linear_rul, remaining_life
from jayul.health.rul.model import (
    RulDistribution,
    RulModel,
    as_histories,
    histories_from_frame,
)

__all__ = [
    "DEFAULT_LEVELS",
    "BoostedWindowRul",
    "MondrianResidualCalibrator",
    "RulDistribution",
    "RulModel",
    "WindowFeatures",
    "as_histories",
    "histories_from_frame",
    "piecewise_linear_rul",
    "remaining_life",
]
