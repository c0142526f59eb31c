from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from jayul.bench.cmapss.ensemble import BlendedWindowRul
from jayul.bench.cmapss.validation import cut_weights, weighted_rmse

Units = Callable[..., list[npt.NDArray[np.float64]]]

SMALL = {
    "windows": (5, 20, 60),
    "baseline_rows": 10,
    "n_estimators": 40,
    "learning_rate": 0.1,
    "members": (
        ("lightgbm", {"num_leaves": 7, "min_child_samples": 20}),
        ("extra_trees", {"n_estimators": 20, "min_samples_leaf": 5, "max_features": 0.3}),
    ),
    "cap": 100.0,
    "min_history": 20,
    "calibration_bins": 3,
    "calibration_age_bins": 2,
}


def test_cut_weights_share_each_length_among_the_units_alive_there() -> None:
    # Two units: ages 1..4 with 3..0 left, and ages 1..2 with 1..0 left.
    age = np.array([1, 2, 3, 4, 1, 2], dtype=float)
    life = np.array([3, 2, 1, 0, 1, 0], dtype=float)
    # Length 1: both alive -> 1/2 each; length 2 twice: only the first (the second has failed)
    # -> 2; length 4: the first unit has 0 left there (a test unit is cut before failure) -> 0;
    # length 9: nobody -> nothing.
    w = cut_weights(age, life, [1, 2, 2, 4, 9])
    assert w.tolist() == [0.5, 2.0, 0.0, 0.0, 0.5, 0.0]


def test_cut_weights_refuse_lengths_that_match_no_row() -> None:
    with pytest.raises(ValueError, match="no out-of-fold row"):
        cut_weights(np.array([1.0, 2.0]), np.array([1.0, 0.0]), [5, 6])


def test_weighted_rmse_by_hand() -> None:
    assert weighted_rmse(np.array([1.0, 3.0]), np.array([0.0, 0.0]), np.array([1.0, 3.0])) == (
        pytest.approx(np.sqrt((1 + 27) / 4))
    )


def test_blend_chosen_and_calibrated_on_cuts(make_units: Units) -> None:
    units = make_units(24, seed=5)
    lengths = [60, 80, 100, 120, 140]
    model = BlendedWindowRul(**{**SMALL, "n_folds": 3}, cut_lengths=lengths).fit(units)
    blended, life, weights = model.oof_
    # The weights are those of the cuts, the truth uncapped, and the chosen blend is the best
    # on that criterion among the members alone.
    assert np.any(life[weights > 0] > SMALL["cap"])
    assert weights.sum() == pytest.approx(sum(1 for a in lengths if a < max(map(len, units))))
    members = [weighted_rmse(p, life, weights) for p in model.oof_members_]
    assert model.cv_rmse_cut_blend_ <= min(members) + 1e-9
    assert model.cv_rmse_cut_blend_ == pytest.approx(weighted_rmse(blended, life, weights))
    label, age, _ = model.oof_rows_
    assert np.all(age[weights > 0] <= max(lengths)) and np.all(label <= SMALL["cap"])


def test_fraction_cut_weights_give_each_unit_one_weight_over_its_cut_range() -> None:
    from jayul.bench.cmapss.validation import fraction_cut_weights

    # Unit 0: life 10 (ages 1..10, 9..0 left); unit 1: life 4 (ages 1..4, 3..0 left).
    age = np.array([*range(1, 11), *range(1, 5)], dtype=float)
    life = np.array([*range(9, -1, -1), *range(3, -1, -1)], dtype=float)
    unit = np.array([0] * 10 + [1] * 4)
    w = fraction_cut_weights(age, life, unit, 0.5, 1.0)
    # Unit 0: ages 5..9 (age 10 has no life left) -> 1/5 each; unit 1: ages 2, 3 -> 1/2 each.
    assert w[:10].tolist() == [0, 0, 0, 0, 0.2, 0.2, 0.2, 0.2, 0.2, 0]
    assert w[10:].tolist() == [0, 0.5, 0.5, 0]
    with pytest.raises(ValueError, match="cut fractions"):
        fraction_cut_weights(age[:1], life[:1], unit[:1], 0.5, 1.0)
