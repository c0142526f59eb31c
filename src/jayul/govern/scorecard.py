"""Risk scorecards: five dimensions, each low / medium / high / critical with its evidence.

- safety_impact: what the model's outputs can move (monitoring only, maintenance and
  schedules, setpoints or stops, a safety function);
- autonomy: how much autonomy is asked for it;
- robustness: from the probes (`govern.probes`): stuck sensor, dropouts, spikes, drift, units;
- data_quality: from its training data (rows, missing values, constant columns);
- drift: from the drift monitor (`govern.drift`).

The overall level is the worst dimension and decides deployment (`govern.deploy`). The model's
autonomy cap comes from the dimensions that measure the model itself (robustness, data
quality, drift): the worse they are, the less it may do alone.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from pydantic import BaseModel, ConfigDict

from jayul.records.autonomy import AutonomyLevel
from jayul.records.events import ActionKind, RiskClass

ORDER = [RiskClass.LOW, RiskClass.MEDIUM, RiskClass.HIGH, RiskClass.CRITICAL]
AUTONOMY_CAP = {
    RiskClass.LOW: AutonomyLevel.L4,
    RiskClass.MEDIUM: AutonomyLevel.L3,
    RiskClass.HIGH: AutonomyLevel.L2,
    RiskClass.CRITICAL: AutonomyLevel.L1,
}


def worst(levels: Iterable[RiskClass]) -> RiskClass:
    return max(levels, key=ORDER.index, default=RiskClass.LOW)


class Rating(BaseModel):
    """One dimension's level and the evidence behind it."""

    model_config = ConfigDict(frozen=True)

    level: RiskClass
    evidence: str


class Scorecard(BaseModel):
    """The risk scorecard of one model version."""

    model_config = ConfigDict(frozen=True)

    model: str
    version: int
    safety_impact: Rating
    autonomy: Rating
    robustness: Rating
    data_quality: Rating
    drift: Rating

    def ratings(self) -> dict[str, Rating]:
        return {
            "safety_impact": self.safety_impact,
            "autonomy": self.autonomy,
            "robustness": self.robustness,
            "data_quality": self.data_quality,
            "drift": self.drift,
        }

    @property
    def overall(self) -> RiskClass:
        return worst(r.level for r in self.ratings().values())

    @property
    def max_autonomy(self) -> AutonomyLevel:
        """The highest level the model may drive: capped by its robustness, data and drift."""
        own = worst([self.robustness.level, self.data_quality.level, self.drift.level])
        return AUTONOMY_CAP[own]


def rate_safety_impact(kinds: Iterable[ActionKind], safety_function: bool = False) -> Rating:
    """What the model's outputs can move, from the action classes it may propose."""
    kinds = set(kinds)
    if safety_function:
        return Rating(level=RiskClass.CRITICAL, evidence="declared part of a safety function")
    if kinds & {ActionKind.CHANGE_SETPOINT, ActionKind.STOP_MACHINE}:
        level = RiskClass.HIGH
    elif kinds:
        level = RiskClass.MEDIUM
    else:
        level = RiskClass.LOW
    names = ", ".join(sorted(k.value for k in kinds)) or "none (monitoring only)"
    return Rating(level=level, evidence=f"may propose: {names}")


def rate_autonomy(requested: AutonomyLevel) -> Rating:
    """L0-L1 low, L2 medium, L3-L4 high: acting without a person raises the stakes."""
    level = {0: RiskClass.LOW, 1: RiskClass.LOW, 2: RiskClass.MEDIUM}.get(
        int(requested), RiskClass.HIGH
    )
    return Rating(level=level, evidence=f"requested {requested.name} ({requested.label})")


def rate_data_quality(X: np.ndarray, min_rows: int = 500) -> Rating:
    """Rows, missing values and constant columns of the training array.

    Thresholds: fewer than `min_rows` rows or over 20% missing is high; over 2% missing or
    any constant column is medium; no rows at all is critical.
    """
    X = np.asarray(X, dtype=float)
    rows = X.shape[0]
    if rows == 0:
        return Rating(level=RiskClass.CRITICAL, evidence="no training rows")
    missing = float(np.mean(~np.isfinite(X)))
    with np.errstate(all="ignore"):
        spread = np.nanstd(np.where(np.isfinite(X), X, np.nan), axis=0)
    constant = int(np.sum(~(spread > 0)))
    if rows < min_rows or missing > 0.2:
        level = RiskClass.HIGH
    elif missing > 0.02 or constant:
        level = RiskClass.MEDIUM
    else:
        level = RiskClass.LOW
    evidence = f"{rows} rows, {missing:.1%} missing, {constant} constant column(s)"
    return Rating(level=level, evidence=evidence)
