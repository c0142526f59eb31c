"""Where a calibrated twin should stand: a failure mode's health index from the plant's live
remaining-life estimate, read on the calibrated degradation process.

Run hours alone put every machine at the calibrated process's mean wear for its age, so a
machine that wore faster than the mean looks younger to the twin than it is, and a
maintenance the live RUL asks for looks needless on the twin. The live RUL (`RulView`, in
clock hours from now) says how worn the machine really is. The calibrated process turns it
into a health index:

- the RUL's median is converted from clock hours to wear hours at the machine's own pace since
  the mode's restoration (run hours at the calibration's mean load, idle hours at the idle
  wear; `calibrate.exposure`), or one wear hour per clock hour where the plant shows no run
  hours;
- the health index h is the one from which the calibrated process (its family, wear rate μ and
  shape k) has that median time to the failure threshold. For both the gamma and the Wiener
  process the time to wear a remaining d = 1 - h is distributed as the time to wear 1 at the
  rate μ / d with the same shape, so h is one root of a monotone function of d;
- an estimate at least as long as a new part's median life gives h = 0, an overdue one
  `MAX_HEALTH` (a running machine has not failed);
- a RUL model trained on capped labels (`RulView.cap_h`) predicts about the cap for every
  life further away, so a median past `CAPPED_SHARE` of the cap only bounds the health from
  above: the health is then the run-hours estimate, at most the bound.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from jayul.calibrate.exposure import LOAD_SQUARE
from jayul.calibrate.lifetimes import FAMILIES
from jayul.decide.policy import LiveCondition, RulView
from jayul.plant.model import FailureMode, modelled
from jayul.twin.degradation import IDLE_WEAR

MAX_HEALTH = 0.99  # a running machine has not reached the failure threshold
MIN_REMAINING = 1e-6  # the least remaining wear the root search tries
CAPPED_SHARE = 0.8  # a median past this share of the model's label cap is "far from failure"

__all__ = [
    "CAPPED_SHARE",
    "MAX_HEALTH",
    "LiveCondition",
    "health_from_median_life",
    "health_from_rul",
    "wear_pace",
]


def wear_pace(run_h: float | None, age_h: float) -> float:
    """Wear hours per clock hour of a machine that ran `run_h` of the `age_h` clock hours since
    the mode's restoration (1 where either is unknown)."""
    if run_h is None or age_h <= 0:
        return 1.0
    run = min(max(run_h, 0.0), age_h)
    return (LOAD_SQUARE * run + IDLE_WEAR * (age_h - run)) / age_h


def health_from_median_life(mode: FailureMode, median_wear_h: float) -> float:
    """The health index from which `mode`'s process has a median remaining life of
    `median_wear_h` wear hours (module docstring)."""
    mu = modelled(mode.wear_per_h, f"failure mode {mode.id!r}: wear_per_h")
    k = modelled(mode.shape_per_h, f"failure mode {mode.id!r}: shape_per_h")
    sf, _ = FAMILIES["wiener" if mode.process == "wiener" else "gamma"]
    t = np.array([max(median_wear_h, 0.0)])

    def above_median(remaining: float) -> float:
        # P(the remaining wear takes longer than t) - 1/2, increasing in the remaining wear
        return float(sf(np.log([mu / remaining, k]), t)[0]) - 0.5

    if median_wear_h <= 0 or above_median(MIN_REMAINING) >= 0:
        return MAX_HEALTH
    if above_median(1.0) <= 0:
        return 0.0
    remaining = optimize.brentq(above_median, MIN_REMAINING, 1.0, xtol=1e-6)
    return float(min(max(1.0 - remaining, 0.0), MAX_HEALTH))


def health_from_rul(
    mode: FailureMode, rul: RulView, run_h: float | None, by_run_hours: float
) -> float:
    """`mode`'s health index from its live RUL, the run hours since its restoration and the
    health those run hours alone give (module docstring)."""
    median = rul.p50
    health = health_from_median_life(mode, median * wear_pace(run_h, rul.age_h))
    if rul.cap_h is not None and median >= CAPPED_SHARE * rul.cap_h:
        return min(by_run_hours, health)
    return health
