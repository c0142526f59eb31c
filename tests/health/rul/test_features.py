import numpy as np
import pytest

from jayul.health.rul import WindowFeatures
from jayul.health.rul.features import window_stats


def test_window_stats_match_direct_computation() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).cumsum(axis=0)
    mean, slope, spread = window_stats(x, 7)
    for t in (0, 1, 5, 6, 20, 39):
        window = x[max(0, t - 6) : t + 1]
        np.testing.assert_allclose(mean[t], window.mean(axis=0), atol=1e-9)
        np.testing.assert_allclose(spread[t], window.std(axis=0), atol=1e-6)
        if len(window) > 1:
            fitted = np.polyfit(np.arange(len(window)), window, 1)[0]
            np.testing.assert_allclose(slope[t], fitted, atol=1e-9)
        else:
            assert np.all(slope[t] == 0)


def test_features_are_causal_and_drop_constant_signals() -> None:
    rng = np.random.default_rng(1)
    histories = [
        np.column_stack([rng.normal(size=n), np.full(n, 3.0), np.linspace(0, 1, n)])
        for n in (50, 60)
    ]
    labels = [np.arange(len(h))[::-1].astype(float) for h in histories]
    features = WindowFeatures(windows=(5, 20), baseline_rows=10).fit(histories, labels)
    assert features.keep_.tolist() == [0, 2]
    full = features.transform_all(histories[0])
    prefix = features.transform_all(histories[0][:30])
    # Row 29 sees the same past whether or not later rows exist.
    np.testing.assert_allclose(full[29], prefix[29])
    np.testing.assert_allclose(features.last_row(histories[0][:30]), prefix[-1])
    assert full[-1, -1] == 50  # the age (row count) is the last feature


def test_last_row_equals_the_last_row_of_every_row_features() -> None:
    rng = np.random.default_rng(3)
    train = [rng.normal(size=(n, 3)) for n in (40, 90, 200)]
    features = WindowFeatures((5, 20, 60), baseline_rows=10).fit(
        train, [np.arange(len(h), 0, -1.0) for h in train]
    )
    for n in (1, 7, 10, 30, 69, 70, 71, 150, 400):
        history = rng.normal(size=(n, 3))
        np.testing.assert_allclose(
            features.last_row(history), features.transform_all(history)[-1], atol=1e-6
        )


def test_a_map_without_baseline_is_the_same_map_minus_its_baseline_columns() -> None:
    rng = np.random.default_rng(4)
    train = [rng.normal(size=(n, 3)) for n in (40, 90, 200)]
    labels = [np.arange(len(h), 0, -1.0) for h in train]
    with_base = WindowFeatures((5, 20, 60), baseline_rows=10).fit(train, labels)
    without = WindowFeatures((5, 20, 60), baseline_rows=0).fit(train, labels)
    assert with_base.same_fit_but_baseline(without)
    mask = with_base.baseline_columns()
    # 4 signals (3 and the health index) x 3 windows are baseline changes, out of 49 columns
    assert mask.sum() == 12 and len(mask) == with_base.transform_all(train[0]).shape[1] == 49
    assert not without.baseline_columns().any()
    for n in (1, 9, 10, 11, 59, 60, 61, 150):
        history = rng.normal(size=(n, 3))
        np.testing.assert_array_equal(  # to the last bit
            without.last_row(history), with_base.last_row(history)[~mask]
        )
    other = WindowFeatures((5, 20, 60), baseline_rows=0).fit(train[:2], labels[:2])
    assert not with_base.same_fit_but_baseline(other)  # fitted to other data


def _wearing(rng: np.random.Generator, n: int) -> np.ndarray:
    """A unit whose first signal drifts toward failure, faster near its end."""
    t = np.arange(n, dtype=float) / n
    return np.column_stack([t**2 + rng.normal(scale=0.05, size=n), rng.normal(size=n)])


def test_trend_columns_extrapolate_the_health_index_to_its_failure_level() -> None:
    rng = np.random.default_rng(5)
    train = [_wearing(rng, n) for n in (120, 150, 200)]
    labels = [np.minimum(np.arange(len(h), 0, -1.0) - 1, 100) for h in train]
    plain = WindowFeatures((5, 20), baseline_rows=10).fit(train, labels)
    trend = WindowFeatures((5, 20), baseline_rows=10, trend_spans=(30, 400)).fit(train, labels)
    # The failure level is the index's mean over the training rows with less than 5 left.
    near = np.concatenate([trend.health_index_of(h)[-5:] for h in train])
    assert trend.failure_level_ == float(near.mean())
    history = _wearing(rng, 140)
    with_trend, without = trend.transform_all(history), plain.transform_all(history)
    # the same columns, with 5 per span before the age
    assert with_trend.shape[1] == without.shape[1] + 10
    np.testing.assert_allclose(with_trend[:, : without.shape[1] - 1], without[:, :-1], atol=1e-9)
    np.testing.assert_array_equal(with_trend[:, -1], without[:, -1])
    assert not trend.baseline_columns()[-11:].any() and len(trend.baseline_columns()) == 35
    # the whole-history span's rows to failure (line, parabola) shrink as the unit wears, and
    # are few 20 rows before its end
    line, parabola = with_trend[:, -3], with_trend[:, -2]
    assert line[40] > line[80] > line[120] and parabola[40] > parabola[80] > parabola[120]
    assert line[120] < 40 and parabola[120] < 40
    for n in (1, 4, 5, 29, 30, 31, 139):
        np.testing.assert_allclose(
            trend.last_row(history[:n]), trend.transform_all(history[:n])[-1], atol=1e-8
        )


def test_trend_needs_the_health_index_and_histories_that_reach_failure() -> None:
    rng = np.random.default_rng(6)
    train = [_wearing(rng, n) for n in (60, 80)]
    with pytest.raises(ValueError, match="health index"):
        WindowFeatures((5,), health_index=False, trend_spans=(30,)).fit(train, None)
    far = [np.arange(len(h), 0, -1.0) + 50 for h in train]  # never closer than 50 rows
    with pytest.raises(ValueError, match="reach failure"):
        WindowFeatures((5,), trend_spans=(30,)).fit(train, far)


def test_a_map_pickled_before_trend_features_existed_still_transforms() -> None:
    rng = np.random.default_rng(7)
    train = [_wearing(rng, n) for n in (60, 80)]
    labels = [np.arange(len(h), 0, -1.0) - 1 for h in train]
    features = WindowFeatures((5, 20), baseline_rows=10).fit(train, labels)
    expected = features.transform_all(train[0])
    del features.trend_spans, features.failure_level_  # as an older pickle has it
    np.testing.assert_array_equal(features.transform_all(train[0]), expected)
    np.testing.assert_allclose(features.last_row(train[0]), expected[-1], atol=1e-9)
    assert len(features.baseline_columns()) == expected.shape[1]
