"""The detectors the product's health monitor could run, and their figures on groups of equipment.

Every candidate keeps every signal as the level of its 10-row trailing mean (`slow_autocorr`
above 1): the twin's machines stand and run for hours at a time, so all of their signals are
slow, and a candidate that leaves slow signals out or scores only their rate of change sees no
wear there (measured: docs/benchmarks/skab.md, "One default"). They differ in the family
(PCA with T² and Q, or the mean of the signals' z²), in `drift_horizon` (units widened by a
signal's training trend, `TrailingFeatures`) and in the margin on the training scores' 99.9 %
quantile. On SKAB and TEP streams each is alarmed as the benchmark does (raise after 5 rows of
5 above, clear after 5 below); the health monitor adds its own smoothing in hours on the twin.

A detector's scores do not depend on the margin, so each (family, drift) pair is fitted and
scored once per stream and the margins share its scores (the same alarms as alarming each
candidate alone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jayul.bench.skab.detectors.zscore import ZScoreDetector
from jayul.bench.skab.holdout import TEP_FAULT_START, TEP_HARD_FAULTS, Group, Stream
from jayul.bench.skab.metrics import OutlierCounts, outlier_counts
from jayul.bench.skab.validation import AlarmConfig
from jayul.health.detector import Detector
from jayul.health.pca import PcaDetector
from jayul.health.threshold import Hysteresis, QuantileThreshold

FloatArray = NDArray[np.float64]

WINDOW = 10
LEVELS = 1.01  # slow_autocorr above 1: every signal stays a level
QUANTILE = 0.999
FAMILIES = ("pca", "zscore")
DRIFT_HORIZONS = (0.0, 100.0, 400.0)
MARGINS = (1.2, 1.5, 2.0, 3.0)


@dataclass(frozen=True)
class ProductCandidate:
    """One detector and level rule the health monitor could run."""

    family: str
    drift: float
    margin: float
    quantile: float = QUANTILE

    @property
    def name(self) -> str:
        return (
            f"{self.family} w={WINDOW} levels drift={self.drift:g} q{self.quantile} x{self.margin}"
        )

    @property
    def detector_key(self) -> tuple[str, float]:
        return self.family, self.drift

    def detector(self) -> Detector:
        return make_detector(self.family, self.drift)

    def alarm_config(self) -> AlarmConfig:
        """As the benchmark alarms it: raise after 5 rows of 5 above, clear after 5 below."""
        return AlarmConfig(
            name=f"{self.name} raise=5/5 clear=5",
            detector=self.detector,
            quantile=self.quantile,
            margin=self.margin,
        )


def make_detector(family: str, drift: float) -> Detector:
    if family == "pca":
        return PcaDetector(window=WINDOW, slow_autocorr=LEVELS, drift_horizon=drift)
    if family == "zscore":
        return ZScoreDetector(window=WINDOW, slow_autocorr=LEVELS, drift_horizon=drift)
    raise ValueError(f"unknown family {family!r}: choose one of {', '.join(FAMILIES)}")


# the health monitor's default before the rule chose one (PCA chosen on the twin): the twin
# gate's yardstick
REPLACED_DEFAULT = ProductCandidate("pca", 0.0, 1.2)


def product_candidates() -> list[ProductCandidate]:
    """The pool, declared before any figure of it was seen (docs/benchmarks/skab.md)."""
    return [
        ProductCandidate(family, drift, margin)
        for family in FAMILIES
        for drift in DRIFT_HORIZONS
        for margin in MARGINS
    ]


def _stream_alarms(
    family: str, drift: float, margins: list[float], stream: Stream
) -> dict[float, NDArray[np.int8]]:
    """Each margin's 0/1 alarm on the stream's rows (fitted on its training rows)."""
    threshold = QuantileThreshold(make_detector(family, drift), QUANTILE, 1.0).fit(stream.train)
    scores = threshold.score(np.vstack([stream.train, stream.rows]))
    n = len(stream.train)
    return {m: Hysteresis().update(scores, threshold.level_ * m)[n:] for m in margins}


def score_groups(
    candidates: list[ProductCandidate],
    groups: list[Group],
    faults: dict[int, Stream],
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Per candidate: per group FAR (and F1, MAR on labelled groups); the TEP detection rate
    (mean over the 18 usual faults, context only) when fault runs are given."""
    say = progress or (lambda _msg: None)
    by_key: dict[tuple[str, float], list[ProductCandidate]] = {}
    for c in candidates:
        by_key.setdefault(c.detector_key, []).append(c)
    out: dict[str, dict[str, Any]] = {c.name: {"groups": {}} for c in candidates}
    for (family, drift), members in by_key.items():
        say(f"pool: {family} drift={drift:g}")
        margins = [c.margin for c in members]
        for group in groups:
            counts = {m: OutlierCounts() for m in margins}
            for stream in group.streams:
                alarms = _stream_alarms(family, drift, margins, stream)
                for m in margins:
                    counts[m] = counts[m] + outlier_counts(stream.truth, alarms[m])
            for c in members:
                k = counts[c.margin]
                figures: dict[str, Any] = {"far_percent": k.far, "fp": k.fp, "tn": k.tn}
                if group.labelled:
                    figures |= {"f1": k.f1, "mar_percent": k.mar}
                out[c.name]["groups"][group.name] = figures
        if faults:
            rates: dict[float, list[float]] = {m: [] for m in margins}
            for j, stream in faults.items():
                if j in TEP_HARD_FAULTS:
                    continue
                alarms = _stream_alarms(family, drift, margins, stream)
                for m in margins:
                    rates[m].append(100.0 * float(alarms[m][TEP_FAULT_START:].mean()))
            for c in members:
                out[c.name]["tep_fdr_percent_mean_18"] = float(np.mean(rates[c.margin]))
    return out
