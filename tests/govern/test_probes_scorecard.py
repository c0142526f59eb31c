"""Robustness probes, scorecard levels from them, and the autonomy cap they set."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.gate import AutonomyLevel
from jayul.govern import assess, robustness_rating, run_probes
from jayul.govern.scorecard import Rating, rate_data_quality, rate_safety_impact
from jayul.records.events import ActionKind, RiskClass

RNG = np.random.default_rng(0)
X = RNG.normal(size=(1200, 3)) * [1.0, 2.0, 5.0] + [10.0, 50.0, 60.0]
MU, SD = X.mean(axis=0), X.std(axis=0)


def zmax_nan_safe(rows: np.ndarray) -> np.ndarray:
    """Largest |z| over the inputs that are present: rides through dropouts."""
    z = np.abs((rows - MU) / SD)
    return np.where(np.isnan(z), 0.0, z).max(axis=1)


def zmax_naive(rows: np.ndarray) -> np.ndarray:
    return np.abs((rows - MU) / SD).max(axis=1)  # NaN in, NaN out


def crashing(rows: np.ndarray) -> np.ndarray:
    if np.isnan(rows).any():
        raise ValueError("Input contains NaN")
    return zmax_naive(rows)


def windowed_mean(rows: np.ndarray) -> np.ndarray:
    """Scores the mean of the whole batch: one bad sensor moves every row's score."""
    z = np.abs((rows - MU) / SD)
    return np.broadcast_to(np.nanmean(z, axis=0).max(), rows.shape[0]).copy() + z.max(axis=1) * 0


def levels(results: list) -> dict[str, RiskClass]:  # type: ignore[type-arg]
    return {r.probe: r.level for r in results}


def test_a_robust_model_scores_low_on_gross_faults() -> None:
    got = levels(run_probes(zmax_nan_safe, X, temperature_columns=[2]))
    assert set(got) == {
        "stuck_sensor",
        "slow_drift",
        "wrong_units_x1000",
        "wrong_units_f_for_c",
        "dropouts",
        "spikes",
    }
    for probe in ("stuck_sensor", "wrong_units_x1000", "wrong_units_f_for_c", "dropouts", "spikes"):
        assert got[probe] is RiskClass.LOW, probe


def test_nan_scores_are_high_and_crashes_critical() -> None:
    assert levels(run_probes(zmax_naive, X))["dropouts"] is RiskClass.HIGH
    crashed = run_probes(crashing, X)
    by_name = {r.probe: r for r in crashed}
    assert by_name["dropouts"].crashed and by_name["dropouts"].level is RiskClass.CRITICAL
    assert robustness_rating(crashed).level is RiskClass.CRITICAL
    assert "crashed" in robustness_rating(crashed).evidence


def test_false_alarm_spill_is_measured() -> None:
    # a batch-level score alarms on untouched rows when one column goes wrong
    got = levels(run_probes(windowed_mean, X))
    assert got["spikes"] is RiskClass.HIGH


def test_silence_on_wrong_units_is_medium() -> None:
    def clipped(rows: np.ndarray) -> np.ndarray:  # saturates, so x1000 looks normal
        return zmax_nan_safe(np.clip(rows, MU - 2.0 * SD, MU + 2.0 * SD))

    result = {r.probe: r for r in run_probes(clipped, X, threshold=2.5)}
    assert result["wrong_units_x1000"].level is RiskClass.MEDIUM
    assert result["wrong_units_x1000"].touched_flagged == 0.0


def test_scorecard_overall_and_autonomy_cap() -> None:
    good, _ = assess("zmax", 1, zmax_nan_safe, X, [ActionKind.START_MAINTENANCE], AutonomyLevel.L3)
    assert good.robustness.level in (RiskClass.LOW, RiskClass.MEDIUM)  # slow drift may alarm
    assert good.max_autonomy >= AutonomyLevel.L3
    naive, _ = assess("naive", 1, zmax_naive, X, [ActionKind.START_MAINTENANCE], AutonomyLevel.L3)
    assert naive.robustness.level is RiskClass.HIGH
    assert naive.max_autonomy == AutonomyLevel.L2  # the probes lowered what it may do alone
    broken, _ = assess("crash", 1, crashing, X, [], AutonomyLevel.L1)
    assert broken.overall is RiskClass.CRITICAL and broken.max_autonomy == AutonomyLevel.L1


def test_other_dimensions() -> None:
    assert rate_safety_impact([]).level is RiskClass.LOW
    assert rate_safety_impact([ActionKind.CHANGE_SCHEDULE]).level is RiskClass.MEDIUM
    assert rate_safety_impact([ActionKind.CHANGE_SETPOINT]).level is RiskClass.HIGH
    assert rate_safety_impact([], safety_function=True).level is RiskClass.CRITICAL
    assert rate_data_quality(X).level is RiskClass.LOW
    assert rate_data_quality(X[:100]).level is RiskClass.HIGH
    holes = X.copy()
    holes[::10, 0] = np.nan
    assert rate_data_quality(holes).level is RiskClass.MEDIUM
    assert rate_data_quality(np.empty((0, 3))).level is RiskClass.CRITICAL


@pytest.mark.parametrize("level", list(RiskClass))
def test_rating_round_trip(level: RiskClass) -> None:
    r = Rating(level=level, evidence="e")
    assert Rating.model_validate_json(r.model_dump_json()) == r


def test_forward_fill_wrapper_turns_a_crash_into_a_measured_response() -> None:
    from jayul.govern.probes import with_forward_fill

    wrapped = {r.probe: r for r in run_probes(with_forward_fill(crashing), X)}
    assert not wrapped["dropouts"].crashed
    assert wrapped["dropouts"].nan_fraction == 0.0
    holes = X[:5].copy()
    holes[0, 1] = np.nan
    holes[2, 0] = np.nan
    seen: list[np.ndarray] = []
    with_forward_fill(lambda rows: seen.append(rows) or np.zeros(len(rows)))(holes)
    assert np.isfinite(seen[0]).all() and seen[0][2, 0] == holes[1, 0]
