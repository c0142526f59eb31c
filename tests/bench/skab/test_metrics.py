"""The SKAB metrics against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jayul.bench.skab.metrics import (
    NAB_PROFILES,
    label_switches,
    nab_file_score,
    nab_windows,
    outlier_counts,
    scaled_sigmoid,
)

STANDARD, LOW_FP, LOW_FN = NAB_PROFILES


def seconds(n: int) -> np.ndarray:
    return np.datetime64("2020-03-09T10:00:00", "ns") + np.arange(n) * np.timedelta64(1, "s")


def test_perfect_and_null_outlier_detectors() -> None:
    truth = np.array([0, 0, 1, 1, 1, 0, 0, 0])
    perfect = outlier_counts(truth, truth)
    assert (perfect.tp, perfect.fp, perfect.fn, perfect.tn) == (3, 0, 0, 5)
    assert perfect.f1 == 1.0 and perfect.far == 0.0 and perfect.mar == 0.0
    null = outlier_counts(truth, np.zeros_like(truth))
    assert null.f1 == 0.0 and null.far == 0.0 and null.mar == 100.0
    everywhere = outlier_counts(truth, np.ones_like(truth))
    # F1 = TP / (TP + (FP + FN) / 2) = 3 / (3 + 5/2)
    assert everywhere.f1 == pytest.approx(3 / 5.5)
    assert everywhere.far == 100.0


def test_mixed_counts_by_hand() -> None:
    truth = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    pred = np.array([0, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    c = outlier_counts(truth, pred)
    assert (c.tp, c.fp, c.fn, c.tn) == (3, 2, 1, 4)
    assert c.f1 == pytest.approx(3 / (3 + 1.5))
    assert c.far == pytest.approx(100 * 2 / 6)
    assert c.mar == pytest.approx(25.0)


def test_scaled_sigmoid_ends_and_middle() -> None:
    assert scaled_sigmoid(0.0, STANDARD) == pytest.approx(1.0)
    assert scaled_sigmoid(1.0, STANDARD) == pytest.approx(-0.11)
    assert scaled_sigmoid(0.5, STANDARD) == pytest.approx((1.0 - 0.11) / 2)
    assert scaled_sigmoid(0.25, STANDARD) > scaled_sigmoid(0.75, STANDARD)


def test_nab_perfect_null_and_a_false_positive() -> None:
    t = seconds(300)
    truth = np.zeros(300, dtype=int)
    truth[[50, 200]] = 1
    perfect = nab_file_score(t, truth, truth, STANDARD)
    assert perfect.score == pytest.approx(2.0) and perfect.nab == pytest.approx(100.0)
    null = nab_file_score(t, truth, np.zeros(300, dtype=int), STANDARD)
    assert null.score == pytest.approx(-2.0) and null.nab == pytest.approx(0.0)
    low_fn_null = nab_file_score(t, truth, np.zeros(300, dtype=int), LOW_FN)
    assert low_fn_null.score == pytest.approx(-4.0)
    pred = truth.copy()
    pred[10] = 1  # outside every window
    one_fp = nab_file_score(t, truth, pred, LOW_FP)
    assert one_fp.score == pytest.approx(2.0 - 0.22)
    assert one_fp.nab == pytest.approx(100 * (1.78 + 2.0) / 4.0)


def test_detection_at_window_start_and_end() -> None:
    t = seconds(200)
    truth = np.zeros(200, dtype=int)
    truth[20] = 1  # window [20 s, 80 s]
    at_start = np.zeros(200, dtype=int)
    at_start[20] = 1
    assert nab_file_score(t, truth, at_start, STANDARD).score == pytest.approx(1.0)
    at_end = np.zeros(200, dtype=int)
    at_end[80] = 1  # in the window, at its end: A_fp, and the window is not missed
    assert nab_file_score(t, truth, at_end, STANDARD).score == pytest.approx(-0.11)
    just_after = np.zeros(200, dtype=int)
    just_after[81] = 1  # outside: A_fp plus a missed window
    assert nab_file_score(t, truth, just_after, STANDARD).score == pytest.approx(-1.11)


def test_only_first_detection_in_a_window_counts() -> None:
    t = seconds(200)
    truth = np.zeros(200, dtype=int)
    truth[20] = 1
    pred = np.zeros(200, dtype=int)
    pred[[35, 36, 70]] = 1
    expected = scaled_sigmoid(15 / 60, STANDARD)
    assert nab_file_score(t, truth, pred, STANDARD).score == pytest.approx(expected)


def test_overlapping_windows_right_starts_where_left_ends() -> None:
    t = seconds(300)
    truth = np.zeros(300, dtype=int)
    truth[[100, 130]] = 1  # windows [100, 160] and [130, 190] overlap
    windows = nab_windows(t, truth)
    assert windows[0] == (t[100], t[160])
    assert windows[1] == (t[160], t[190])  # the right one starts where the left one ends
    pred = np.zeros(300, dtype=int)
    pred[[140, 160]] = 1  # 140 is in the left window; 160 is the right window's start
    s = nab_file_score(t, truth, pred, STANDARD).score
    assert s == pytest.approx(scaled_sigmoid(40 / 60, STANDARD) + 1.0)
    only_late = np.zeros(300, dtype=int)
    only_late[175] = 1  # middle of the trimmed right window [160, 190]
    s2 = nab_file_score(t, truth, only_late, STANDARD).score
    assert s2 == pytest.approx(-1.0 + scaled_sigmoid(0.5, STANDARD))


def test_windows_follow_time_not_rows() -> None:
    # a 2 s gap in the timestamps: 60 s end at row 59, not row 60
    t = np.concatenate([seconds(10), seconds(200)[11:]])
    truth = np.zeros(len(t), dtype=int)
    truth[0] = 1
    pred = np.zeros(len(t), dtype=int)
    pred[59] = 1  # 60 s after the changepoint: the window's end
    assert nab_file_score(t, truth, pred, STANDARD).score == pytest.approx(-0.11)


def test_label_switches_both_directions() -> None:
    switches = label_switches(np.array([1, 1, 0, 0, 1, 1, 1, 0]))
    assert switches.tolist() == [0, 0, 1, 0, 1, 0, 0, 1]
    assert not math.isnan(float(switches.sum()))
