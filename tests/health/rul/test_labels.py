import numpy as np
import pytest

from jayul.health.rul import piecewise_linear_rul, remaining_life


def test_remaining_life_counts_down_to_zero_at_failure() -> None:
    assert remaining_life(4).tolist() == [3.0, 2.0, 1.0, 0.0]
    assert remaining_life(3, rul_at_end=10).tolist() == [12.0, 11.0, 10.0]


def test_piecewise_linear_label_is_flat_at_the_cap_then_linear() -> None:
    label = piecewise_linear_rul(200, cap=125)
    assert label.shape == (200,)
    assert np.all(label[:75] == 125)  # rows 0..74 have 199..125 left
    assert label[75] == 124 and label[-1] == 0
    assert np.all(np.diff(label[74:]) == -1)


def test_piecewise_linear_label_without_cap_and_short_history() -> None:
    assert piecewise_linear_rul(5, cap=None).tolist() == [4, 3, 2, 1, 0]
    assert piecewise_linear_rul(3, cap=125).tolist() == [2, 1, 0]
    with pytest.raises(ValueError):
        remaining_life(-1)
