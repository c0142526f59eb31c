"""The drift rule: false alarms judged by their distance from the fit, one longer stream."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.bench.skab.detectors.zscore import ZScoreDetector
from jayul.bench.skab.drift_rule import (
    DRIFT_FAMILIES,
    QUICK_CLEARING,
    DriftRule,
    drift_candidates,
)
from jayul.bench.skab.validation import DRIFT_HORIZONS, AlarmConfig, Validation


def segments(drift: float = 0.0) -> list[np.ndarray]:
    """Normal segments; with `drift`, the first signal wanders linearly over each segment."""
    rng = np.random.default_rng(0)
    out = []
    for _ in range(4):
        rows = rng.normal(size=(400, 4))
        rows[:, 0] += drift * np.arange(400) / 400
        out.append(rows)
    return out


SENSIBLE = AlarmConfig("z", lambda: ZScoreDetector(window=5), margin=1.5)
ALWAYS = AlarmConfig("always", lambda: ZScoreDetector(window=5), quantile=0.0, margin=0.0)


def test_detection_faults_fill_the_end_and_recovery_faults_end_early() -> None:
    rule = DriftRule(segments(), stream_rows=700.0, draws=1)
    _, truth = rule.detection.episodes[0]
    assert truth[-70:].all() and not truth[:-70].any()  # no normal row after the fault
    _, truth = rule.recovery.episodes[0]
    assert truth[40:110].all() and not truth[110:].any()  # 40 normal rows after it
    assert rule.normal_rows == 700.0 * (1 - 70 / 150)


def test_fault_free_episodes_hold_the_segments_rows_untouched() -> None:
    rule = DriftRule(segments(), stream_rows=700.0, draws=1)
    rows, _ = rule.quiet.episodes[0]
    np.testing.assert_array_equal(rows, segments()[0])
    assert len(rule.quiet.episodes) == 4


def test_the_profile_is_the_share_alarmed_by_distance() -> None:
    quiet = Validation(segments(), magnitudes=(0.0,), fault_kinds=("step",), draws=1)
    profile = quiet.alarm_profile(SENSIBLE)
    alarms = [SENSIBLE.alarm(rows[:250], rows)[250:] for rows, _ in quiet.episodes]
    np.testing.assert_allclose(profile, np.mean(alarms, axis=0))


def test_the_stream_holds_the_far_rate_beyond_the_measured_rows() -> None:
    rule = DriftRule(segments(drift=6.0), stream_rows=700.0, far_rows=50)
    r = rule.evaluate(SENSIBLE)
    profile = rule.quiet.alarm_profile(SENSIBLE)
    far = profile[-50:].mean()
    steady = (profile.sum() + far * (700 - 150)) / 700
    assert np.isclose(r.steady_far, 100 * steady) and np.isclose(r.far_far, 100 * far)
    normal = rule.normal_rows
    assert np.isclose(r.far, 100 * (steady * (normal - 40) + r.tail_rows) / normal)
    # the stream's F1 from its fault rows at the detection recall, its normal rows at that rate
    faults = 700 - normal
    tp, fn, fp = (1 - r.mar / 100) * faults, r.mar / 100 * faults, r.far / 100 * normal
    assert np.isclose(r.f1, tp / (tp + (fp + fn) / 2))
    # a drifting signal alarms more far from the fit than near it, and the stream sees it
    assert r.far_far > r.near_far and r.steady_far > r.near_far


def test_the_rule_prefers_the_sensible_recipe_over_alarming_always() -> None:
    rule = DriftRule(segments(), stream_rows=700.0, draws=1)
    best, results = rule.select([ALWAYS, SENSIBLE])
    assert best.name == "z"
    assert {r.name: r for r in results}["always"].far > 90.0


def test_far_rows_must_fit_the_measured_rows() -> None:
    with pytest.raises(ValueError):
        DriftRule(segments(), stream_rows=700.0, far_rows=151, draws=1)


def test_drift_candidates_are_the_quickest_clearing_of_the_families() -> None:
    pool = drift_candidates()
    plain = len(DRIFT_FAMILIES) * 3 * 2 * 8  # windows x slow modes x thresholds
    widened = 2 * len(DRIFT_HORIZONS) * 3 * 2 * 8  # zscore and zscore-max, per horizon
    assert len(pool) == plain + widened
    assert sum("drift=" in c.name for c in pool) == widened
    assert all((c.raise_k, c.raise_n, c.clear_m, c.clear_ratio) == QUICK_CLEARING for c in pool)
    assert {c.name.split(" ")[0] for c in pool} == set(DRIFT_FAMILIES)


def test_forked_evaluation_gives_the_serial_results() -> None:
    rule = DriftRule(segments(drift=2.0), stream_rows=700.0, draws=1)
    pool = [c for c in drift_candidates() if " w=5 slow=ignore " in c.name]
    assert len({repr(c.detector()) for c in pool}) == 10  # 4 plain families, 6 widened
    serial = rule.evaluate_all(pool)
    fresh = DriftRule(segments(drift=2.0), stream_rows=700.0, draws=1)
    forked = fresh.evaluate_all(pool, jobs=2)
    assert forked == serial
    assert rule.select(pool, jobs=2)[0].name == rule.select(pool)[0].name
