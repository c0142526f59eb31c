"""The product's default detector and threshold work end to end: fit, level, one alert per
fault, and contributions that name the faulty signal."""

from __future__ import annotations

import numpy as np

from jayul.autopilot.monitor import HealthMonitor
from jayul.health.contributions import signal_contributions
from jayul.health.defaults import (
    DEFAULT_MARGIN,
    DEFAULT_QUANTILE,
    default_detector,
    default_threshold,
)
from jayul.health.detector import StreamScorer
from jayul.health.threshold import Hysteresis, alarm_starts
from jayul.plant import load_demo_plant


def test_the_health_monitor_runs_the_default() -> None:
    monitor = HealthMonitor(load_demo_plant())
    assert monitor.detector_factory is default_detector
    assert (monitor.quantile, monitor.margin) == (DEFAULT_QUANTILE, DEFAULT_MARGIN)


def test_default_raises_one_alert_per_fault_with_reasons() -> None:
    rng = np.random.default_rng(0)
    signals = [f"s{i}" for i in range(8)]
    train = rng.normal(size=(400, 8))
    live = rng.normal(size=(600, 8))
    live[300:450, 6] -= 4.0
    threshold = default_threshold().fit(train)
    hysteresis = Hysteresis(raise_k=5, raise_n=5, clear_m=5)
    scorer = StreamScorer(threshold.detector)
    alarm = np.concatenate(
        [
            hysteresis.update(scorer.score(live[a : a + 50]), threshold.level_)
            for a in range(0, 600, 50)
        ]
    )
    starts = alarm_starts(alarm)
    assert len(starts) == 1 and 300 <= starts[0] < 320
    parts = signal_contributions(threshold.detector, live, int(starts[0]), signals)
    assert parts[0].signal == "s6" and parts[0].direction == -1


def test_every_named_detector_builds_and_an_unknown_name_lists_the_choices() -> None:
    import pytest

    from jayul.health.defaults import DETECTORS, named_detector

    for name in DETECTORS:
        assert named_detector(name)().get_params() is not None
    with pytest.raises(ValueError, match="mspc"):
        named_detector("nope")
