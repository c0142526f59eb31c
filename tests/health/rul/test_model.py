import numpy as np
import pandas as pd
import pytest

from jayul.health.rul import RulDistribution, as_histories, histories_from_frame
from jayul.health.rul.model import end_ruls


def _distribution() -> RulDistribution:
    levels = np.array([0.1, 0.5, 0.9])
    return RulDistribution(levels, np.array([[10.0, 20.0, 40.0], [0.0, 5.0, 10.0]]))


def test_quantiles_interpolate_on_the_grid() -> None:
    d = _distribution()
    assert d.p10.tolist() == [10.0, 0.0]
    assert d.p50.tolist() == [20.0, 5.0]
    assert d.p90.tolist() == [40.0, 10.0]
    assert d.quantile(0.3).tolist() == [15.0, 2.5]
    assert d.quantile(0.0)[0] == 0.0  # the grid falls to probability 0 at RUL 0


def test_prob_fail_before_inverts_the_quantiles() -> None:
    d = _distribution()
    np.testing.assert_allclose(d.prob_fail_before(20.0), [0.5, 1.0])
    # above p90 the tail is as wide as the upper half: 10 + (10 - 5) = 15 has probability 1
    np.testing.assert_allclose(d.prob_fail_before(12.5)[1], 0.95)
    np.testing.assert_allclose(d.prob_fail_before(15.0)[0], 0.3)
    assert d.prob_fail_before(0.0)[0] == 0.0
    assert d.prob_fail_before(1e6).tolist() == [1.0, 1.0]
    probs = [d.prob_fail_before(t)[0] for t in range(0, 80, 5)]
    assert probs == sorted(probs)


def test_distribution_rejects_bad_grids() -> None:
    with pytest.raises(ValueError):
        RulDistribution(np.array([0.5, 0.1]), np.zeros((1, 2)))
    with pytest.raises(ValueError):
        RulDistribution(np.array([0.1, 0.5]), np.zeros((1, 3)))


def test_histories_from_a_unit_cycle_table() -> None:
    frame = pd.DataFrame({"unit": [2, 1, 1, 2], "cycle": [1, 2, 1, 2], "a": [5.0, 2.0, 1.0, 6.0]})
    histories, units = histories_from_frame(frame)
    assert units == [1, 2]
    assert histories[0][:, 0].tolist() == [1.0, 2.0]
    assert as_histories(frame)[1][:, 0].tolist() == [5.0, 6.0]


def test_as_histories_and_end_ruls_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="different numbers of features"):
        as_histories([np.zeros((3, 2)), np.zeros((3, 3))])
    with pytest.raises(ValueError, match="non-empty 2-D"):
        as_histories([np.zeros((0, 2))])
    with pytest.raises(ValueError, match="rul_at_end"):
        end_ruls(2, failure_at_end=False, rul_at_end=None)
    assert end_ruls(2, True, [3, 4]).tolist() == [3.0, 4.0]
