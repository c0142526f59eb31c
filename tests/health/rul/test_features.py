import numpy as np

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
