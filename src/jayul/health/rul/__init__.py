"""Remaining useful life: the `RulModel` interface, features, labels, calibration, metrics.

Histories are 2-D arrays (rows = time steps, oldest first; columns = signals); remaining life
is counted in rows. Two CPU models (no torch): `BoostedWindowRul` (LightGBM; the plant twin's
fleet models) and `BlendedWindowRul` (LightGBM and extremely randomised trees blended by
cross-validation; the C-MAPSS benchmark's default; optional members: trajectory matching,
`similarity.TrajectoryMatchRegressor`, and a small 1-D CNN on the raw history,
`sequence.ConvSequenceRegressor`, which needs the torch extra; an optional correction of the
point prediction, `correction.PointCorrection`).
"""

from jayul.health.rul.boosting import BoostedWindowRul
from jayul.health.rul.conformal import DEFAULT_LEVELS, MondrianResidualCalibrator
from jayul.health.rul.ensemble import BlendedWindowRul
from jayul.health.rul.features import WindowFeatures
from jayul.health.rul.labels import piecewise_linear_rul, remaining_life
from jayul.health.rul.metrics import interval_coverage, phm08_score, rmse
from jayul.health.rul.model import (
    RulDistribution,
    RulModel,
    as_histories,
    histories_from_frame,
)

__all__ = [
    "DEFAULT_LEVELS",
    "BlendedWindowRul",
    "BoostedWindowRul",
    "MondrianResidualCalibrator",
    "RulDistribution",
    "RulModel",
    "WindowFeatures",
    "as_histories",
    "histories_from_frame",
    "interval_coverage",
    "phm08_score",
    "piecewise_linear_rul",
    "remaining_life",
    "rmse",
]
