import pickle
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from jayul.bench.cmapss.metrics import interval_coverage, rmse
from jayul.health.rul import BoostedWindowRul

Units = Callable[..., list[npt.NDArray[np.float64]]]

SMALL = {
    "windows": (5, 20, 60),
    "baseline_rows": 10,
    "n_estimators": 60,
    "learning_rate": 0.1,
    "n_folds": 4,
    "candidates": ({"num_leaves": 7, "min_child_samples": 20},),
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


def test_fit_predict_on_synthetic_degradation_is_accurate_and_calibrated(
    make_units: Units,
) -> None:
    model = BoostedWindowRul(**SMALL).fit(make_units(40, seed=0))
    histories, truth = _cut(make_units(300, seed=1), seed=2)
    d = model.predict(histories)
    assert len(d) == 300
    assert np.all(d.p10 <= d.p50) and np.all(d.p50 <= d.p90)
    near = truth <= 100  # where the wear is visible the median must be close
    assert rmse(d.p50[near], truth[near]) < 15
    assert 0.72 <= interval_coverage(d.p10, d.p90, truth) <= 0.9
    # P(failure within 10 rows) is high for units about to fail and low for fresh ones.
    p_fail = d.prob_fail_before(10)
    assert p_fail[truth <= 3].mean() > 0.5 > p_fail[truth >= 80].mean()


def test_same_seed_same_model_and_pickle_round_trip(make_units: Units) -> None:
    train = make_units(16, seed=3)
    test = [u[:50] for u in make_units(5, seed=4)]
    params = {**SMALL, "n_estimators": 20, "n_folds": 2}
    first = BoostedWindowRul(seed=7, **params).fit(train).predict(test)
    again = BoostedWindowRul(seed=7, **params).fit(train)
    np.testing.assert_array_equal(first.values, again.predict(test).values)
    restored = pickle.loads(pickle.dumps(again))
    np.testing.assert_array_equal(first.values, restored.predict(test).values)


def test_cross_validation_chooses_among_candidates(make_units: Units) -> None:
    candidates = (
        {"num_leaves": 2, "min_child_samples": 400},  # nearly no model: must lose
        {"num_leaves": 7, "min_child_samples": 20},
    )
    params = {**SMALL, "n_estimators": 30, "candidates": candidates}
    model = BoostedWindowRul(**params).fit(make_units(20, seed=5))
    assert len(model.cv_rmse_) == 2
    assert model.best_index_ == 1
    assert model.best_params_ == candidates[1]


def test_histories_with_known_remaining_life_at_the_end(make_units: Units) -> None:
    units = make_units(12, seed=6)
    cut = [u[:-10] for u in units]  # stopped 10 rows before failure
    params = {**SMALL, "n_estimators": 20, "n_folds": 3}
    model = BoostedWindowRul(**params).fit(cut, failure_at_end=False, rul_at_end=[10.0] * 12)
    assert np.all(np.isfinite(model.predict(cut).p50))
