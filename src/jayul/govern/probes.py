"""Robustness probes: feed a model faulty sensor data and see how its scores respond.

Given a scoring function (rows -> scores, higher = worse) and normal data, each probe
corrupts the second half of the rows and compares alarms (score above the threshold, by
default the 99th percentile of the model's scores on the clean data) with the clean run:

- stuck sensor (one column frozen), dropouts (10% of cells NaN), slow drift (one column
  ramps to +2 standard deviations): the machine is healthy, so every extra alarm is false.
  Rise in alarm rate: <= 0.02 low, <= 0.10 medium, above high.
- spikes (1% of cells +10 sd), wrong units (one column x1000; or °C read as °F): the data is
  plainly wrong and a model should flag the touched rows; alarms on untouched rows count as
  false (same thresholds), and flagging under half of the touched rows is "silent" (medium).
- a crash is critical; NaN or infinite scores are high (a NaN never crosses a threshold, so
  the model goes silently blind).

Column probes run on every column; the worst column counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from jayul.govern.scorecard import Rating, worst
from jayul.records.events import RiskClass

ScoreFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ProbeResult:
    """What one probe did to the model, and the level it earns."""

    probe: str
    level: RiskClass
    crashed: bool
    nan_fraction: float
    false_alarm_rise: float
    touched_flagged: float | None
    detail: str


def run_probes(
    score: ScoreFn,
    X: np.ndarray,
    threshold: float | None = None,
    temperature_columns: Sequence[int] = (),
    seed: int = 0,
) -> list[ProbeResult]:
    """Run every probe against `score` on the normal rows `X` (n, d)."""
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    half = n // 2
    base = np.asarray(score(X), dtype=float)
    thr = float(np.nanquantile(base, 0.99)) if threshold is None else threshold
    base_alarm = base[half:] > thr
    sd = np.nanstd(X, axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    rng = np.random.default_rng(seed)
    cases: dict[str, list[tuple[np.ndarray, np.ndarray | None]]] = {}

    def corrupted() -> np.ndarray:
        return X.copy()

    for j in range(d):
        stuck = corrupted()
        stuck[half:, j] = X[half, j]
        cases.setdefault("stuck_sensor", []).append((stuck, None))
        drift = corrupted()
        drift[half:, j] += np.linspace(0.0, 2.0 * sd[j], n - half)
        cases.setdefault("slow_drift", []).append((drift, None))
        units = corrupted()
        units[half:, j] *= 1000.0
        cases.setdefault("wrong_units_x1000", []).append((units, np.ones(n - half, bool)))
    for j in temperature_columns:
        fahrenheit = corrupted()
        fahrenheit[half:, j] = X[half:, j] * 9.0 / 5.0 + 32.0
        cases.setdefault("wrong_units_f_for_c", []).append((fahrenheit, np.ones(n - half, bool)))
    drop = corrupted()
    mask = rng.random((n - half, d)) < 0.10
    drop[half:][mask] = np.nan
    cases["dropouts"] = [(drop, None)]
    spikes = corrupted()
    hits = rng.random((n - half, d)) < 0.01
    spikes[half:] += np.where(hits, 10.0 * sd, 0.0)
    touched_rows: np.ndarray = np.asarray(hits.any(axis=1), dtype=bool)
    cases["spikes"] = [(spikes, touched_rows)]

    results = []
    for name, variants in cases.items():
        per_column = [_judge(name, score, data, touched, half, thr, base_alarm)
                      for data, touched in variants]  # fmt: skip
        results.append(max(per_column, key=lambda r: (_rank(r.level), r.false_alarm_rise)))
    return results


def _rank(level: RiskClass) -> int:
    return [RiskClass.LOW, RiskClass.MEDIUM, RiskClass.HIGH, RiskClass.CRITICAL].index(level)


def _judge(
    name: str,
    score: ScoreFn,
    data: np.ndarray,
    touched: np.ndarray | None,
    half: int,
    thr: float,
    base_alarm: np.ndarray,
) -> ProbeResult:
    try:
        out = np.asarray(score(data), dtype=float)[half:]
    except Exception as exc:  # a crash is the finding, not a test failure
        msg = f"crashed: {type(exc).__name__}: {exc}"[:200]
        return ProbeResult(name, RiskClass.CRITICAL, True, 1.0, 0.0, None, msg)
    bad = ~np.isfinite(out)
    nan_fraction = float(bad.mean())
    alarm = np.where(bad, False, out > thr)
    flagged = None
    if touched is None:
        rise = float(alarm.mean() - base_alarm.mean())
    else:
        untouched = ~touched
        rise = (
            float(alarm[untouched].mean() - base_alarm[untouched].mean())
            if untouched.any()
            else 0.0
        )
        flagged = float(alarm[touched].mean()) if touched.any() else None
    level = RiskClass.LOW if rise <= 0.02 else RiskClass.MEDIUM if rise <= 0.10 else RiskClass.HIGH
    notes = [f"false-alarm rise {rise:+.3f}"]
    if flagged is not None:
        notes.append(f"flagged {flagged:.0%} of corrupted rows")
        if flagged < 0.5:
            level = worst([level, RiskClass.MEDIUM])
    if nan_fraction > 0:
        level = worst([level, RiskClass.HIGH])
        notes.append(f"{nan_fraction:.0%} NaN scores")
    return ProbeResult(name, level, False, nan_fraction, rise, flagged, ", ".join(notes))


def robustness_rating(results: Sequence[ProbeResult]) -> Rating:
    """The scorecard's robustness dimension: the worst probe, with every probe as evidence."""
    level = worst(r.level for r in results)
    evidence = "; ".join(f"{r.probe}: {r.level.value} ({r.detail})" for r in results)
    return Rating(level=level, evidence=evidence or "no probes run")


def with_forward_fill(score: ScoreFn) -> ScoreFn:
    """`score` behind the autopilot monitor's gap filling (a missing reading repeats the last
    good one; leading gaps take the column mean), so the probes judge the deployed path."""

    def filled(rows: np.ndarray) -> np.ndarray:
        out = np.array(rows, dtype=float, copy=True)
        bad = ~np.isfinite(out)
        if bad.any():
            with np.errstate(all="ignore"):
                means = np.nanmean(np.where(bad, np.nan, out), axis=0)
            out[0] = np.where(bad[0], np.nan_to_num(means), out[0])
            for i in np.flatnonzero(bad[1:].any(axis=1)) + 1:
                out[i] = np.where(bad[i], out[i - 1], out[i])
        return score(out)

    return filled
