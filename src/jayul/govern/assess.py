"""Scoring a model version: run the probes, rate its data and drift, fill in its scorecard."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from jayul.govern.drift import DriftReport
from jayul.govern.probes import ProbeResult, ScoreFn, robustness_rating, run_probes
from jayul.govern.scorecard import (
    Rating,
    Scorecard,
    rate_autonomy,
    rate_data_quality,
    rate_safety_impact,
)
from jayul.records.autonomy import AutonomyLevel
from jayul.records.events import ActionKind, RiskClass


def assess(
    model: str,
    version: int,
    score: ScoreFn,
    X_train: np.ndarray,
    kinds: Iterable[ActionKind],
    requested: AutonomyLevel,
    drift: DriftReport | None = None,
    threshold: float | None = None,
    temperature_columns: Sequence[int] = (),
    safety_function: bool = False,
    min_rows: int = 500,
) -> tuple[Scorecard, list[ProbeResult]]:
    """The scorecard of a model version and the probe results behind its robustness;
    `min_rows`: the training rows below which its data rates high (see `rate_data_quality`)."""
    probes = run_probes(score, X_train, threshold, temperature_columns)
    drift_rating = (
        drift.rating()
        if drift is not None
        else Rating(level=RiskClass.LOW, evidence="not yet observed live (no drift window)")
    )
    card = Scorecard(
        model=model,
        version=version,
        safety_impact=rate_safety_impact(kinds, safety_function),
        autonomy=rate_autonomy(requested),
        robustness=robustness_rating(probes),
        data_quality=rate_data_quality(X_train, min_rows),
        drift=drift_rating,
    )
    return card, probes
