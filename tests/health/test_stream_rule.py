"""The stream rule: detection on tail-free episodes, recovery tails apart, one longer stream."""

from __future__ import annotations

import numpy as np

from jayul.health.stream_rule import QUICK_CLEARING, StreamRule, detection_candidates
from jayul.health.validation import AlarmConfig, candidate_configs
from jayul.health.zscore import ZScoreDetector


def segments() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.normal(size=(400, 4)) for _ in range(4)]


SENSIBLE = AlarmConfig("z", lambda: ZScoreDetector(window=5), margin=1.5)
ALWAYS = AlarmConfig("always", lambda: ZScoreDetector(window=5), quantile=0.0, margin=0.0)


def test_detection_faults_fill_the_end_and_recovery_faults_end_early() -> None:
    rule = StreamRule(segments(), stream_rows=700.0, draws=1)
    _, truth = rule.detection.episodes[0]
    assert truth[-70:].all() and not truth[:-70].any()  # no normal row after the fault
    _, truth = rule.recovery.episodes[0]
    assert truth[40:110].all() and not truth[110:].any()  # 40 normal rows after it
    assert rule.normal_rows == 700.0 * (1 - 70 / 150)


def test_the_stream_rate_weighs_the_tail_by_the_stream_length() -> None:
    rule = StreamRule(segments(), stream_rows=700.0)
    steady_alarms, tp, _ = rule.detection.alarmed_rows(SENSIBLE)
    _, _, tail = rule.recovery.alarmed_rows(SENSIBLE)
    n = len(rule.detection.episodes)
    steady = steady_alarms / (80 * n)
    tail_rows = tail / n
    r = rule.evaluate(SENSIBLE)
    assert np.isclose(
        r.far, 100 * (steady * (rule.normal_rows - 40) + tail_rows) / rule.normal_rows
    )
    assert np.isclose(r.tail_rows, tail_rows) and np.isclose(r.steady_far, 100 * steady)
    fn = 70 * n - tp
    assert np.isclose(r.f1, tp / (tp + (steady_alarms + fn) / 2))
    # a longer stream dilutes the tail toward the steady rate
    longer = StreamRule(segments(), stream_rows=7000.0).evaluate(SENSIBLE)
    assert abs(longer.far - longer.steady_far) < abs(r.far - r.steady_far) + 1e-9


def test_the_rule_prefers_the_sensible_recipe_over_alarming_always() -> None:
    rule = StreamRule(segments(), stream_rows=700.0)
    best, results = rule.select([ALWAYS, SENSIBLE])
    assert best.name == "z"
    assert {r.name: r for r in results}["always"].far > 90.0


def test_detection_candidates_share_the_quickest_clearing() -> None:
    pool = detection_candidates(candidate_configs())
    assert pool and len(pool) < len(candidate_configs())
    assert all((c.raise_k, c.raise_n, c.clear_m, c.clear_ratio) == QUICK_CLEARING for c in pool)
