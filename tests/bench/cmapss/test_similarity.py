from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from jayul.bench.cmapss.ensemble import BlendedWindowRul
from jayul.bench.cmapss.metrics import rmse
from jayul.bench.cmapss.similarity import TrajectoryMatchRegressor, centred_mean
from jayul.health.rul import WindowFeatures, piecewise_linear_rul

Units = Callable[..., list[npt.NDArray[np.float64]]]


def _fitted(units: list[npt.NDArray[np.float64]], **params: float) -> TrajectoryMatchRegressor:
    labels = [piecewise_linear_rul(len(u), 100.0) for u in units]
    features = WindowFeatures((5, 20), 10).fit(units, labels)
    return TrajectoryMatchRegressor(cap=100.0, **params).fit(features, units)  # type: ignore[arg-type]


def test_centred_mean_shrinks_at_the_ends() -> None:
    x = np.array([0.0, 3.0, 6.0, 9.0])
    np.testing.assert_allclose(centred_mean(x, 3), [1.5, 3.0, 6.0, 7.5])


def test_matching_predicts_remaining_life_of_synthetic_units(make_units: Units) -> None:
    model = _fitted(make_units(40, seed=0), window=30, neighbours=5)
    fresh = make_units(30, seed=1)
    rng = np.random.default_rng(2)
    cuts = [int(rng.integers(len(u) - 90, len(u) - 5)) for u in fresh]
    histories = [u[:c] for u, c in zip(fresh, cuts, strict=True)]
    truth = np.array([len(u) - c for u, c in zip(fresh, cuts, strict=True)], dtype=float)
    prediction = model.predict_last(histories)
    assert prediction.shape == (30,)
    assert np.all((prediction >= 0) & (prediction <= 100))
    # Wear shows over the last 100 rows; matching reads the remaining life off close paths.
    assert rmse(prediction, np.minimum(truth, 100.0)) < 20
    # predict_rows at the last row is predict_last; deterministic (no randomness at all).
    rows = np.array([len(histories[0]) - 1])
    np.testing.assert_allclose(model.predict_rows(histories[0], rows), prediction[:1])
    np.testing.assert_array_equal(prediction, model.predict_last(histories))


def test_matching_needs_a_health_index(make_units: Units) -> None:
    units = make_units(4, seed=3)
    features = WindowFeatures((5,), 0, health_index=False).fit(units, None)
    with pytest.raises(ValueError, match="health index"):
        TrajectoryMatchRegressor().fit(features, units)


def test_trajectory_member_in_a_blend_is_deterministic(
    make_units: Units, small_blend: Callable[..., dict[str, object]]
) -> None:
    params = small_blend(
        ("trajectory", {"window": 20, "neighbours": 3}), calibration_bins=2, calibration_age_bins=1
    )
    train, test = make_units(12, seed=4), [u[:60] for u in make_units(5, seed=5)]
    first = BlendedWindowRul(seed=1, **params).fit(train)  # type: ignore[arg-type]
    again = BlendedWindowRul(seed=1, **params).fit(train)  # type: ignore[arg-type]
    assert first.oof_members_.shape[0] == 2
    d = first.predict(test)
    assert d.values.shape[0] == 5
    assert np.all(d.p10 <= d.p50) and np.all(d.p50 <= d.p90)
    np.testing.assert_array_equal(d.values, again.predict(test).values)
