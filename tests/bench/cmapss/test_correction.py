from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from jayul.bench.cmapss.correction import PointCorrection
from jayul.bench.cmapss.ensemble import BlendedWindowRul

Units = Callable[..., list[npt.NDArray[np.float64]]]


def test_linear_correction_undoes_a_known_shrinkage() -> None:
    truth = np.linspace(0.0, 100.0, 201)
    shrunk = 20.0 + 0.6 * truth  # pulled toward the middle
    weights = np.ones_like(truth)
    fitted = PointCorrection("linear").fit(shrunk, truth, weights)
    np.testing.assert_allclose(fitted.apply(shrunk), truth, atol=1e-9)


def test_isotonic_correction_is_monotone_and_flat_beyond_the_data() -> None:
    p = np.array([0.0, 1.0, 2.0, 3.0])
    fitted = PointCorrection("isotonic").fit(p, np.array([0.0, 2.0, 1.0, 5.0]), np.ones(4))
    np.testing.assert_allclose(fitted.apply(p), [0.0, 1.5, 1.5, 5.0])
    np.testing.assert_allclose(fitted.apply(np.array([-1.0, 9.0])), [0.0, 5.0])


def test_unknown_correction_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown correction"):
        PointCorrection("cubic").fit(np.zeros(2), np.zeros(2), np.ones(2))


def test_a_corrected_blend_applies_its_map_at_prediction(
    make_units: Units, small_blend: Callable[..., dict[str, object]]
) -> None:
    params = small_blend()
    train, test = make_units(12, seed=0), [u[:60] for u in make_units(5, seed=1)]
    plain = BlendedWindowRul(seed=0, **params).fit(train)  # type: ignore[arg-type]
    linear = BlendedWindowRul(seed=0, correction="linear", **params).fit(train)  # type: ignore[arg-type]
    assert linear.correction_ is not None and plain.correction_ is None
    expected = np.maximum(linear.correction_.apply(plain.predict_point(test)), 0.0)
    np.testing.assert_allclose(linear.predict_point(test), expected)
