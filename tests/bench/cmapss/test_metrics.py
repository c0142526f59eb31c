import math

import pytest

from jayul.bench.cmapss.metrics import interval_coverage, phm08_score, rmse


def test_rmse_hand_computed() -> None:
    assert rmse([1, 2, 3], [1, 2, 3]) == 0.0
    assert rmse([3, 0], [0, 4]) == pytest.approx(math.sqrt((9 + 16) / 2))


def test_phm08_score_penalises_late_more_than_early() -> None:
    # d = +10 (late): e^1 - 1; d = -13 (early): e^1 - 1; d = 0: 0
    assert phm08_score([20], [10]) == pytest.approx(math.e - 1)
    assert phm08_score([0], [13]) == pytest.approx(math.e - 1)
    assert phm08_score([5, 5], [5, 5]) == 0.0
    assert phm08_score([15], [10]) > phm08_score([5], [10])
    total = phm08_score([20, 0, 7], [10, 13, 7])
    assert total == pytest.approx(2 * (math.e - 1))


def test_interval_coverage_counts_ends_as_inside() -> None:
    assert interval_coverage([0, 0, 0, 0], [10, 10, 10, 10], [0, 10, 11, -1]) == 0.5


def test_metrics_reject_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        rmse([1, 2], [1])
