import pickle
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from jayul.bench.cmapss.ensemble import BlendedWindowRul, simplex_weights
from jayul.bench.cmapss.metrics import interval_coverage, rmse

Units = Callable[..., list[npt.NDArray[np.float64]]]

SMALL = {
    "windows": (5, 20, 60),
    "baseline_rows": 10,
    "n_estimators": 60,
    "learning_rate": 0.1,
    "n_folds": 4,
    "members": (
        ("lightgbm", {"num_leaves": 7, "min_child_samples": 20}),
        ("extra_trees", {"n_estimators": 30, "min_samples_leaf": 5, "max_features": 0.3}),
    ),
    "cap": 100.0,
    "min_history": 20,
    "calibration_bins": 3,
    "calibration_age_bins": 2,
}


def _cut(units: list[npt.NDArray[np.float64]], seed: int) -> tuple[list, npt.NDArray]:
    """Cut each unit at a uniformly random row (at least 20 seen): history and true RUL."""
    rng = np.random.default_rng(seed)
    histories, truth = [], []
    for unit in units:
        end = int(rng.integers(20, len(unit)))
        histories.append(unit[:end])
        truth.append(len(unit) - end)
    return histories, np.array(truth, dtype=float)


def test_blend_is_accurate_and_calibrated_on_synthetic_degradation(make_units: Units) -> None:
    model = BlendedWindowRul(**SMALL).fit(make_units(40, seed=0))
    histories, truth = _cut(make_units(300, seed=1), seed=2)
    d = model.predict(histories)
    assert len(d) == 300
    assert np.all(d.p10 <= d.p50) and np.all(d.p50 <= d.p90)
    near = truth <= 100
    assert rmse(d.p50[near], truth[near]) < 15
    assert 0.72 <= interval_coverage(d.p10, d.p90, truth) <= 0.9
    assert model.weights_.sum() == pytest.approx(1.0)
    # The blend is chosen out-of-fold, so it is never worse there than its best member.
    assert model.cv_rmse_blend_ <= min(model.cv_rmse_) + 1e-9


def test_same_seed_same_model_and_pickle_round_trip(make_units: Units) -> None:
    train = make_units(16, seed=3)
    test = [u[:50] for u in make_units(5, seed=4)]
    params = {**SMALL, "n_estimators": 20, "n_folds": 2}
    first = BlendedWindowRul(seed=7, **params).fit(train).predict(test)
    again = BlendedWindowRul(seed=7, **params).fit(train)
    np.testing.assert_array_equal(first.values, again.predict(test).values)
    restored = pickle.loads(pickle.dumps(again))
    np.testing.assert_array_equal(first.values, restored.predict(test).values)


def test_folds_fitted_in_worker_processes_give_the_same_model(make_units: Units) -> None:
    # Column views of one table, as the benchmark builds them: a worker process receives a
    # pickled copy in another memory layout, where numpy's reductions round differently.
    units = make_units(16, seed=3)
    table = np.asfortranarray(np.vstack(units))
    ends = np.cumsum([len(u) for u in units])
    train = [table[end - len(u) : end] for u, end in zip(units, ends, strict=True)]
    assert not train[1].flags.c_contiguous and not train[1].flags.f_contiguous
    test = [u[:50] for u in make_units(5, seed=4)]
    params = {**SMALL, "n_estimators": 20, "n_folds": 3}
    serial = BlendedWindowRul(seed=2, **params).fit(train)
    parallel = BlendedWindowRul(seed=2, fold_jobs=2, **params).fit(train)
    assert serial.fold_processes_ == 1 and parallel.fold_processes_ == 2
    np.testing.assert_array_equal(serial.weights_, parallel.weights_)
    np.testing.assert_array_equal(serial.oof_members_, parallel.oof_members_)
    np.testing.assert_array_equal(serial.predict(test).values, parallel.predict(test).values)
    for ours, theirs in zip(serial.folds_, parallel.folds_, strict=True):  # to the last bit
        np.testing.assert_array_equal(ours.features.scale_, theirs.features.scale_)
        np.testing.assert_array_equal(ours.features.index_weights_, theirs.features.index_weights_)
    # The fit's CPU time counts the workers' folds, which the parent process did not run.
    assert parallel.fit_cpu_seconds_ >= sum(parallel.fold_cpu_seconds_) > 0


def test_point_prediction_is_the_weighted_blend_of_the_members(make_units: Units) -> None:
    model = BlendedWindowRul(**{**SMALL, "n_folds": 2}).fit(make_units(12, seed=5))
    histories = [u[:70] for u in make_units(4, seed=6)]
    by_member = []
    for index in range(2):
        folds = []
        for fold in model.folds_:
            x = np.vstack([fold.features.transform_all(h)[-1] for h in histories])
            folds.append(fold.members[index].predict(x))
        by_member.append(np.mean(folds, axis=0))
    expected = np.maximum(model.weights_ @ np.array(by_member), 0.0)
    np.testing.assert_allclose(model.predict_point(histories), expected, rtol=1e-9, atol=1e-9)


def test_simplex_weights_find_the_best_mix() -> None:
    rng = np.random.default_rng(0)
    target = rng.normal(size=2000)
    noise_a, noise_b = rng.normal(size=2000), rng.normal(size=2000)
    # Two members with independent errors of equal size: the best mix is half and half.
    predictions = np.array([target + noise_a, target + noise_b, target + 5 * noise_a])
    weights, error = simplex_weights(predictions, target, np.ones(2000), 0.1)
    np.testing.assert_allclose(weights, [0.5, 0.5, 0.0], atol=0.11)
    assert weights.sum() == pytest.approx(1.0)
    assert error == pytest.approx(np.sqrt(np.mean((weights @ predictions - target) ** 2)))
    assert error < 0.8  # well below either member's own error of 1


def test_unknown_family_is_refused(make_units: Units) -> None:
    with pytest.raises(ValueError, match="unknown member family 'svm'"):
        BlendedWindowRul(members=(("svm", {}),)).fit(make_units(4, seed=0))


def test_a_member_can_read_features_with_other_settings(make_units: Units) -> None:
    no_baseline = (
        "lightgbm",
        {"num_leaves": 7, "min_child_samples": 20, "features": {"baseline_rows": 0}},
    )
    params = {
        **SMALL,
        "n_folds": 2,
        "n_estimators": 20,
        "members": (*SMALL["members"], no_baseline),
    }  # type: ignore[misc]
    model = BlendedWindowRul(**params).fit(make_units(12, seed=5))  # type: ignore[arg-type]
    fold = model.folds_[0]
    # The first two members share the fold's own features; the third has its own map.
    assert fold.views[0] is fold.features and fold.views[1] is fold.features
    assert fold.views[2] is not fold.features and fold.views[2].baseline_rows == 0
    histories = [u[:70] for u in make_units(4, seed=6)]
    by_member = []
    for index in range(3):
        x = [np.vstack([f.views[index].last_row(h) for h in histories]) for f in model.folds_]
        by_member.append(
            np.mean(
                [f.members[index].predict(xi) for f, xi in zip(model.folds_, x, strict=True)],
                axis=0,
            )
        )
    expected = np.maximum(model.weights_ @ np.array(by_member), 0.0)
    np.testing.assert_allclose(model.predict_point(histories), expected, rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="feature settings"):
        BlendedWindowRul(**{**params, "members": (("lightgbm", {"features": {"bins": 3}}),)}).fit(
            make_units(6, seed=1)
        )  # type: ignore[arg-type]


def test_a_member_without_baseline_reads_the_same_rows_the_fast_way(make_units: Units) -> None:
    nobase = (
        "lightgbm",
        {"num_leaves": 7, "min_child_samples": 20, "features": {"baseline_rows": 0}},
    )
    model = BlendedWindowRul(**{**SMALL, "n_folds": 2, "members": (*SMALL["members"], nobase)})  # type: ignore[dict-item]
    model.fit(make_units(12, seed=5))
    histories = [u[:n] for u, n in zip(make_units(6, seed=6), (1, 9, 10, 11, 61, 150), strict=True)]
    for fold in model.folds_:
        view = fold.views[2]
        assert view is not fold.features and view.baseline_rows == 0
        assert fold.features.same_fit_but_baseline(view)  # so the fast way is taken
        direct = np.vstack([view.last_row(h) for h in histories])
        # The same numbers up to the last bit: numpy's vectorised sums round by the rows'
        # place in memory on some CPUs (seen with AVX-512: one ulp in 3 of 222 values).
        np.testing.assert_allclose(
            fold._last_rows(view, histories, {}), direct, rtol=1e-13, atol=1e-15
        )


def test_trend_spans_reach_every_member_and_keep_the_fast_way(make_units: Units) -> None:
    nobase = (
        "lightgbm",
        {"num_leaves": 7, "min_child_samples": 20, "features": {"baseline_rows": 0}},
    )
    params = {**SMALL, "n_folds": 2, "members": (*SMALL["members"], nobase), "trend_spans": (60,)}
    model = BlendedWindowRul(**params).fit(make_units(12, seed=5))  # type: ignore[arg-type]
    plain = BlendedWindowRul(**{**params, "trend_spans": ()}).fit(make_units(12, seed=5))  # type: ignore[arg-type]
    histories = [u[:n] for u, n in zip(make_units(6, seed=6), (1, 9, 10, 11, 61, 150), strict=True)]
    for fold, plain_fold in zip(model.folds_, plain.folds_, strict=True):
        for view, plain_view in zip(fold.views, plain_fold.views, strict=True):
            assert view.failure_level_ is not None and plain_view.failure_level_ is None
            # five trend columns for the one span, before the age
            assert view.last_row(histories[-1]).size == plain_view.last_row(histories[-1]).size + 5
        view = fold.views[2]
        assert fold.features.same_fit_but_baseline(view)
        direct = np.vstack([view.last_row(h) for h in histories])
        np.testing.assert_allclose(
            fold._last_rows(view, histories, {}), direct, rtol=1e-13, atol=1e-15
        )
    assert np.all(np.isfinite(model.predict(histories).p50))
