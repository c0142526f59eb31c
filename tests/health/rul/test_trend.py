import numpy as np

from jayul.health.rul.trend import (
    HORIZON,
    rolling_quadratic,
    rows_to_failure_line,
    rows_to_failure_parabola,
    trend_features,
    trend_features_at_end,
)


def test_rolling_quadratic_matches_a_direct_fit_at_every_row() -> None:
    rng = np.random.default_rng(0)
    index = -0.002 * np.arange(120.0) ** 1.5 + rng.normal(scale=0.3, size=120)
    for span in (8, 30, 500):
        level, slope, curvature = rolling_quadratic(index, span)
        for t in (0, 3, 4, 7, 29, 30, 60, 119):
            window = index[max(0, t - span + 1) : t + 1]
            if len(window) < 5:  # too few rows: the last value, flat
                assert (level[t], slope[t], curvature[t]) == (index[t], 0.0, 0.0)
                continue
            u = np.arange(len(window), dtype=float) - (len(window) - 1)
            c2, c1, c0 = np.polyfit(u, window, 2)
            np.testing.assert_allclose([level[t], slope[t], curvature[t]], [c0, c1, c2], atol=1e-8)


def test_rolling_quadratic_recovers_an_exact_parabola() -> None:
    rows = np.arange(50.0)
    index = 3.0 - 0.05 * rows - 0.001 * rows**2
    level, slope, curvature = rolling_quadratic(index, 20)
    np.testing.assert_allclose(level[10:], index[10:], atol=1e-9)
    np.testing.assert_allclose(slope[10:], -0.05 - 0.002 * rows[10:], atol=1e-9)
    np.testing.assert_allclose(curvature[10:], -0.001, atol=1e-10)


def test_rows_to_failure_by_hand() -> None:
    distance = np.array([10.0, 10.0, 10.0, -1.0, 1000.0])
    slope = np.array([-2.0, 0.0, 0.5, -1.0, -1.0])
    # 10 / 2 = 5; not falling -> the horizon; already past the level -> 0; far -> clipped
    np.testing.assert_allclose(
        rows_to_failure_line(distance, slope), [5, HORIZON, HORIZON, 0, HORIZON]
    )
    # 10 - 2u - 1u² = 0 -> u = -1 + sqrt(11); a flat parabola is the line; a rising one that
    # never reaches the level -> the horizon; one already past it -> 0, even if it would
    # cross back later
    parabola = rows_to_failure_parabola(
        np.array([10.0, 10.0, 10.0, -1.0]),
        np.array([-2.0, -2.0, 1.0, 0.0]),
        np.array([-1.0, 0.0, 0.1, 0.5]),
    )
    np.testing.assert_allclose(parabola, [-1 + np.sqrt(11.0), 5.0, HORIZON, 0.0])


def test_trend_features_are_causal_and_five_per_span() -> None:
    rng = np.random.default_rng(1)
    index = np.cumsum(rng.normal(-0.05, 0.2, size=80))
    full = trend_features(index, (10, 400), failure_level=-4.0)
    assert full.shape == (80, 10)
    np.testing.assert_allclose(trend_features(index[:50], (10, 400), -4.0), full[:50], atol=1e-9)
    assert trend_features(index, (), -4.0).shape == (80, 0)


def test_the_last_row_alone_matches_every_row() -> None:
    rng = np.random.default_rng(2)
    index = np.cumsum(rng.normal(-0.05, 0.2, size=90))
    for n in (1, 4, 5, 6, 30, 90):
        np.testing.assert_allclose(
            trend_features_at_end(index[:n], (10, 400), -3.0),
            trend_features(index[:n], (10, 400), -3.0)[-1],
            rtol=1e-9,
            atol=1e-9,
        )
