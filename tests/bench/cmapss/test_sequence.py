import pickle
import sys
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from jayul.bench.cmapss.ensemble import BlendedWindowRul
from jayul.bench.cmapss.metrics import rmse
from jayul.bench.cmapss.sequence import ConvSequenceRegressor, torch_available
from jayul.health.rul import WindowFeatures, piecewise_linear_rul

Units = Callable[..., list[npt.NDArray[np.float64]]]
needs_torch = pytest.mark.skipif(not torch_available(), reason="torch (optional extra) absent")

SMALL = {"window": 20, "width": 8, "kernel": 3, "epochs": 6, "batch_size": 64, "cap": 100.0}


def _fitted(units: list[npt.NDArray[np.float64]], **params: object) -> ConvSequenceRegressor:
    labels = [piecewise_linear_rul(len(u), 100.0) for u in units]
    features = WindowFeatures((5, 20), 10).fit(units, labels)
    return ConvSequenceRegressor(**{**SMALL, **params}).fit(features, units, labels)  # type: ignore[arg-type]


def test_signals_are_the_standardised_columns_and_the_index(make_units: Units) -> None:
    units = make_units(6, seed=0)
    labels = [piecewise_linear_rul(len(u), 100.0) for u in units]
    features = WindowFeatures((5,), 10).fit(units, labels)
    z = features.signals(units[0])
    # the constant 4th column is dropped; the health index is the last column
    assert z.shape == (len(units[0]), 4)
    np.testing.assert_allclose(z[:, -1], features.health_index_of(units[0]))


@needs_torch
def test_network_learns_remaining_life_and_is_deterministic(make_units: Units) -> None:
    model = _fitted(make_units(30, seed=1), baseline_channels=True, context_windows=(40,))
    fresh = make_units(20, seed=2)
    rng = np.random.default_rng(3)
    cuts = [int(rng.integers(len(u) - 90, len(u) - 5)) for u in fresh]
    histories = [u[:c] for u, c in zip(fresh, cuts, strict=True)]
    truth = np.array([len(u) - c for u, c in zip(fresh, cuts, strict=True)], dtype=float)
    prediction = model.predict_last(histories)
    assert prediction.shape == (20,)
    # Wear shows in the last 100 rows; a label-free guess (the mean) is about 25 off here.
    assert rmse(prediction, np.minimum(truth, 100.0)) < 20
    # predict_rows at the last row is predict_last (causal windows, padded at the start)
    rows = np.array([len(histories[0]) - 1])
    np.testing.assert_allclose(model.predict_rows(histories[0], rows), prediction[:1], rtol=1e-5)
    again = _fitted(make_units(30, seed=1), baseline_channels=True, context_windows=(40,))
    np.testing.assert_array_equal(prediction, again.predict_last(histories))
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(prediction, restored.predict_last(histories))


@needs_torch
def test_short_histories_are_padded(make_units: Units) -> None:
    model = _fitted(make_units(10, seed=4), epochs=1)
    short = [u[:3] for u in make_units(3, seed=5)]
    assert np.all(np.isfinite(model.predict_last(short)))


@needs_torch
def test_conv_member_in_a_blend_is_deterministic(
    make_units: Units, small_blend: Callable[..., dict[str, object]]
) -> None:
    params = small_blend(
        ("conv", {k: v for k, v in SMALL.items() if k != "cap"}),
        calibration_bins=2,
        calibration_age_bins=1,
    )
    train, test = make_units(12, seed=6), [u[:60] for u in make_units(5, seed=7)]
    first = BlendedWindowRul(seed=1, **params).fit(train)  # type: ignore[arg-type]
    again = BlendedWindowRul(seed=1, **params).fit(train)  # type: ignore[arg-type]
    assert first.oof_members_.shape[0] == 2
    np.testing.assert_array_equal(first.oof_members_, again.oof_members_)
    d = first.predict(test)
    assert np.all(d.p10 <= d.p50) and np.all(d.p50 <= d.p90)
    np.testing.assert_array_equal(d.values, again.predict(test).values)


def test_without_torch_the_member_says_what_to_install(
    make_units: Units, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # importing torch now raises ImportError
    assert not torch_available()
    with pytest.raises(ImportError, match=r"jayul\[torch\]"):
        _fitted(make_units(4, seed=8), epochs=1)


def test_a_window_shorter_than_the_convolutions_is_refused(make_units: Units) -> None:
    with pytest.raises(ValueError, match="spans 29 rows"):
        _fitted(make_units(4, seed=9), window=20, kernel=5)
