"""The soft sensor's drift watch: each analyser reading judges the prediction made for its
sample's time (never a later one), a drift injected into the readings raises one finding,
a normal run none, and a refit starts the judgement afresh."""

from __future__ import annotations

import numpy as np
import pytest

from jayul.health.process import analyser_drift
from jayul.health.process.analyser_drift import (
    ALERT_COVERAGE,
    CUSUM_H,
    Cusum,
    DriftFinding,
    SoftSensorWatch,
)

DELAY = 5


def stream(n: int, seed: int, offset: float = 0.0, from_row: int | None = None
           ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Inputs, and an analyser sampling quality every 5 rows, reporting 5 rows later (held in
    between); with `offset`, readings that appear from `from_row` on are off by it."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    quality = 2.0 * x[:, 0] - x[:, 2] + 0.1 * rng.normal(size=n)
    reading = np.full(n, np.nan)
    held = np.nan
    for t in range(n):
        if t % 5 == 0 and t >= DELAY:
            held = quality[t - DELAY]
            if from_row is not None and t >= from_row:
                held += offset
        reading[t] = held
    return x, reading[:, None]


def run(x: np.ndarray, r: np.ndarray) -> tuple[SoftSensorWatch, list[int]]:
    watch = SoftSensorWatch(3, 1, DELAY, fit_rows=200, min_readings=40)
    found = []
    for t in range(len(x)):
        found += [t for _ in watch.update(t * 180 * 10**9, x[t], r[t])]
    return watch, found


def test_a_normal_run_raises_nothing() -> None:
    for seed in range(3):
        watch, found = run(*stream(4000, seed))
        assert watch.sensor is not None and found == []


def test_an_injected_drift_raises_exactly_one_finding() -> None:
    x, r = stream(3000, 0, offset=0.4, from_row=1500)  # about 3 residual sigmas
    watch, found = run(x, r)
    assert len(found) == 1 and 1500 <= found[0] < 1500 + 20 * 5  # within 20 readings
    assert watch.drifting == [True]
    mean = float(np.mean(watch.residuals[0]))
    assert 0.2 < mean < 0.6  # the mean residual says how far off, with its sign


def test_a_reading_judges_the_prediction_made_at_its_sample_time() -> None:
    """The prediction a reading is compared with was made when its sample's row was the
    newest: a different future (later inputs, later readings) leaves it unchanged."""
    x, r = stream(600, 1)
    watch, _ = run(x, r)
    assert watch.sensor is not None and watch.fitted_ns is not None
    fit_row = watch.fitted_ns // (180 * 10**9)
    other_x, other_r = x.copy(), r.copy()
    cut = 450
    other_x[cut:] += 5.0  # another future after row `cut`
    other_r[cut:] -= 3.0
    twin = SoftSensorWatch(3, 1, DELAY, fit_rows=200, min_readings=40)
    for t in range(cut):
        twin.update(t * 180 * 10**9, other_x[t], other_r[t])
    kept_same = SoftSensorWatch(3, 1, DELAY, fit_rows=200, min_readings=40)
    for t in range(cut):
        kept_same.update(t * 180 * 10**9, x[t], r[t])
    assert twin.kept.keys() == kept_same.kept.keys()
    for row in twin.kept:
        for a, b in zip(twin.kept[row], kept_same.kept[row], strict=True):
            np.testing.assert_allclose(a, b)
    # and each kept prediction is what the sensor says from the rows up to it only
    assert twin.sensor is not None and fit_row < cut
    row = max(twin.kept)
    point, _, _ = twin.sensor.predict(x[: row + 1])
    np.testing.assert_allclose(twin.kept[row][0], point[-1])


def test_the_first_fit_sees_only_the_readings_known_by_then() -> None:
    x, r = stream(600, 2)
    watch, _ = run(x, r)
    fit_row = int(watch.fitted_ns or 0) // (180 * 10**9)
    # refitting from the same rows alone gives the same model: nothing after them was used
    alone, _ = run(x[: fit_row + 1], r[: fit_row + 1])
    assert alone.sensor is not None and watch.sensor is not None
    np.testing.assert_allclose(alone.sensor.predict(x)[0], watch.sensor.predict(x)[0])


def test_a_refit_clears_the_drift_and_serves_the_new_sensor() -> None:
    x, r = stream(3000, 0, offset=0.4, from_row=1500)
    watch, found = run(x[:2000], r[:2000])
    assert found and watch.drifting == [True]
    old = watch.sensor
    found_after = watch.candidate(since_ns=1700 * 180 * 10**9, holdout=0.2)
    assert found_after is not None
    fresh, X, metrics = found_after
    assert len(X) == 300 and 0.0 <= metrics["holdout_interval_coverage"] <= 1.0
    watch.adopt(fresh, X)
    assert watch.sensor is fresh is not old and watch.drifting == [False]
    later = []
    for t in range(2000, 3000):
        later += watch.update(t * 180 * 10**9, x[t], r[t])
    assert later == []  # the offset is now the sensor's own


def test_cusum_against_a_hand_computed_case() -> None:
    c = Cusum(k=0.5, h=2.0)
    # S+ = 1.0, 1.5, 1.5, 2.0 (not past h), 2.5 (past)
    assert [c.update(z) for z in (1.5, 1.0, 0.5, 1.0, 1.0)] == [0, 0, 0, 0, 1]
    low = Cusum(k=0.5, h=2.0)
    assert low.update(-3.0) == -1 and low.low == 2.5 and low.high == 0.0
    low.reset()
    assert (low.high, low.low) == (0.0, 0.0) and CUSUM_H == 10.0


def findings_with_phase_i_bias(seed: int) -> list[DriftFinding]:
    """The readings of phase I (the 30 after the fit) sit two residual sigmas low, as a
    wandering process's do, then return to the soft sensor's predictions."""
    x, r = stream(4000, seed)
    r[200:360] -= 0.2  # the noise is 0.1: phase I's centre two sigmas off
    watch = SoftSensorWatch(3, 1, DELAY, fit_rows=200, min_readings=40)
    found = []
    for t in range(len(x)):
        found += watch.update(t * 180 * 10**9, x[t], r[t])
    return found


def test_a_crossing_the_intervals_absorb_is_no_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CUSUM, centred on a biased phase I, crosses again and again; only the crossings
    whose readings left their 90 % intervals are findings, far fewer than every crossing."""
    product = [f for seed in range(3) for f in findings_with_phase_i_bias(seed)]
    assert all(f.coverage < ALERT_COVERAGE for f in product)
    monkeypatch.setattr(analyser_drift, "ALERT_COVERAGE", 1.01)  # every crossing a finding
    every = [f for seed in range(3) for f in findings_with_phase_i_bias(seed)]
    assert any(f.coverage >= ALERT_COVERAGE for f in every)
    assert len(product) <= len(every) / 2, (len(product), len(every))


def test_an_absorbed_crossing_recentres_so_a_drift_the_other_way_is_seen_as_soon() -> None:
    """Phase I's centre sits two sigmas low; the crossings that bias makes are absorbed and
    move the centre back to the residuals' own, so a drift of three sigmas downwards is found
    within 20 readings, as on an unbiased start (on the old centre it reads as one sigma)."""
    for seed in range(3):
        x, r = stream(4000, seed, offset=-0.3, from_row=2500)
        r[200:360] -= 0.2  # the noise is 0.1: phase I's centre two sigmas off
        watch = SoftSensorWatch(3, 1, DELAY, fit_rows=200, min_readings=40)
        found = []
        for t in range(len(x)):
            found += [(t, f) for f in watch.update(t * 180 * 10**9, x[t], r[t])]
        assert watch.absorbed[0] >= 1
        assert abs(float(watch.centre[0])) < 0.05  # back near the residuals' own centre
        after = [(t, f) for t, f in found if t >= 2500]
        assert len(after) == 1 and after[0][0] < 2500 + 20 * 5, found
        assert after[0][1].mean_residual < 0


def test_too_few_residuals_inside_their_intervals_keep_the_centre() -> None:
    watch = SoftSensorWatch(3, 1, DELAY, fit_rows=200, min_readings=40, baseline_n=30)
    watch.centre[0] = -0.2
    for _ in range(29):
        watch.residuals[0].append(0.0)
        watch.inside[0].append(True)
        watch.residuals[0].append(1.0)  # outside: never part of the centre
        watch.inside[0].append(False)
    watch._recentre(0)
    assert watch.centre[0] == -0.2  # 29 inside, the floor is 30
    watch.residuals[0].append(0.1)
    watch.inside[0].append(True)
    watch._recentre(0)
    assert watch.centre[0] == pytest.approx(0.1 / 30)
