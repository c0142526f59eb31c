import pickle
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from jayul.bench.cmapss.ensemble import BlendedWindowRul
from jayul.bench.cmapss.mlp import MlpRegressor

Units = Callable[..., list[npt.NDArray[np.float64]]]


def _line(n: int, seed: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Features on wildly different scales; the target is a smooth function of two of them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)) * np.array([1.0, 1000.0, 0.001])
    return x, 60.0 + 20.0 * x[:, 0] + 0.02 * x[:, 1]


def test_learns_a_smooth_target_on_badly_scaled_features() -> None:
    x, y = _line(2000, seed=0)
    model = MlpRegressor(hidden=(16,), alpha=1e-4, epochs=60, learning_rate=1e-2, cap=125.0)
    test_x, test_y = _line(500, seed=1)
    error = float(np.sqrt(np.mean((model.fit(x, y).predict(test_x) - test_y) ** 2)))
    assert error < 0.1 * float(np.std(test_y))  # the mean alone would be 1.0 x the spread


def test_same_seed_same_network_and_pickle_round_trip() -> None:
    x, y = _line(500, seed=2)
    first = MlpRegressor(hidden=(8,), epochs=5, seed=3).fit(x, y)
    again = MlpRegressor(hidden=(8,), epochs=5, seed=3).fit(x, y)
    np.testing.assert_array_equal(first.predict(x), again.predict(x))
    np.testing.assert_array_equal(first.predict(x), pickle.loads(pickle.dumps(first)).predict(x))
    other = MlpRegressor(hidden=(8,), epochs=5, seed=4).fit(x, y)
    assert not np.array_equal(first.predict(x), other.predict(x))


def test_as_a_blend_member_in_worker_processes_too(
    make_units: Units, small_blend: Callable[..., dict[str, object]]
) -> None:
    train = make_units(12, seed=5)
    test = [u[:60] for u in make_units(4, seed=6)]
    params = small_blend(("mlp", {"hidden": (8,), "epochs": 10}), n_folds=3)
    serial = BlendedWindowRul(seed=1, **params).fit(train)  # type: ignore[arg-type]
    parallel = BlendedWindowRul(seed=1, fold_jobs=2, **params).fit(train)  # type: ignore[arg-type]
    assert isinstance(serial.folds_[0].members[1], MlpRegressor)
    np.testing.assert_array_equal(serial.oof_members_, parallel.oof_members_)
    np.testing.assert_array_equal(serial.predict(test).values, parallel.predict(test).values)
