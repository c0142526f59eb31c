"""When the calibrated twin of a plant is due for recalibration: on a schedule, or when it
no longer predicts the plant's recent history.

The prediction check is a Cox-Snell residual test, the standard check of a fitted lifetime
model against censored data: over every run of a failure mode in the recent window (from a
reset to a failure or to a restoring maintenance, in wear hours, `calibrate.exposure`), the
twin's cumulative hazard at the run's end, -log P(T > e), sums to the number of failures the
twin expects there; a twin that still matches the plant expects about as many as happened.
The error is |observed - expected| / max(expected, 1); past `max_error`, recalibrate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from jayul.calibrate.exposure import WearClock, mode_runs
from jayul.calibrate.history import HistoryError, build_history
from jayul.calibrate.lifetimes import FAMILIES
from jayul.historian import Historian
from jayul.plant.model import Plant, modelled
from jayul.records.timebase import NS_PER_H

NS_PER_DAY = 24 * NS_PER_H
MIN_EVIDENCE = 3.0  # fewer failures observed and expected than this: too little to judge


@dataclass(frozen=True)
class PredictionCheck:
    observed: int
    expected: float
    runs: int

    @property
    def error(self) -> float:
        return abs(self.observed - self.expected) / max(self.expected, 1.0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "observed_failures": self.observed,
            "expected_failures": round(self.expected, 2),
            "runs": self.runs,
            "error": round(self.error, 3),
        }


@dataclass(frozen=True)
class RecalibrationDue:
    due: bool
    reason: str
    check: PredictionCheck | None = None


@dataclass(frozen=True)
class RecalibrationPolicy:
    """Recalibrate every `every_days`, or when the twin's prediction error on the last
    `window_days` of history exceeds `max_error` (module docstring)."""

    every_days: float = 30.0
    max_error: float = 0.5
    window_days: float = 90.0

    def due(
        self, now_ns: int, calibrated_ns: int, check: PredictionCheck | None
    ) -> RecalibrationDue:
        judged = check is not None and check.observed + check.expected >= MIN_EVIDENCE
        if check is not None and judged and check.error > self.max_error:
            return RecalibrationDue(
                True,
                f"drift: {check.observed} failures in the last {self.window_days:g} days "
                f"where the twin expects {check.expected:.1f} (error {check.error:.2f} > "
                f"{self.max_error:g})",
                check,
            )
        age_days = (now_ns - calibrated_ns) / NS_PER_DAY
        if age_days >= self.every_days:
            return RecalibrationDue(
                True, f"schedule: calibrated {age_days:.1f} days ago (every {self.every_days:g})"
            )
        return RecalibrationDue(False, "the twin still matches recent history", check)


def prediction_check(
    plant: Plant, historian: Historian, since_ns: int, until_ns: int
) -> PredictionCheck | None:
    """Failures in [since, until) against what `plant` (the calibrated twin) expects there;
    None when the window's history cannot be read as runs (no events, inconsistent)."""
    try:
        history = build_history(
            plant, historian.query_events(since_ns, until_ns), since_ns, until_ns
        )
    except HistoryError:
        return None
    clocks = {mid: WearClock(plant, mh, history.hours) for mid, mh in history.machines.items()}
    runs = mode_runs(plant, history, clocks, new_at_start=False)
    observed, expected, count = 0, 0.0, 0
    for (type_name, mode_id), mode_runs_ in runs.items():
        mode = next(f for f in plant.machine_types[type_name].failure_modes if f.id == mode_id)
        family = "wiener" if mode.process == "wiener" else "gamma"
        sf, _ = FAMILIES[family]
        theta = np.log([modelled(mode.wear_per_h, "wear_per_h"), modelled(mode.shape_per_h, "")])
        exposure = np.array([r.exposure for r in mode_runs_], dtype=float)
        if not len(exposure):
            continue
        survival = np.clip(np.asarray(sf(theta, exposure), dtype=float), 1e-12, 1.0)
        expected += float(-np.log(survival).sum())
        observed += sum(r.failed for r in mode_runs_)
        count += len(mode_runs_)
    return PredictionCheck(observed, expected, count)
