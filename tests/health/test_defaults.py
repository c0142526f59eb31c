"""The default recipe exists and works end to end: fit, threshold, hysteresis, contributions."""

from __future__ import annotations

import numpy as np

from jayul.health.contributions import signal_contributions
from jayul.health.defaults import default_alarm
from jayul.health.detector import StreamScorer
from jayul.health.threshold import alarm_starts


def test_default_recipe_raises_one_alert_per_fault_with_reasons() -> None:
    rng = np.random.default_rng(0)
    signals = [f"s{i}" for i in range(8)]
    train = rng.normal(size=(400, 8))
    live = rng.normal(size=(600, 8))
    live[300:450, 6] -= 4.0  # 4 training sd: a 3 sd step on white noise hovers near the level
    config = default_alarm()
    threshold = config.threshold_for(config.detector()).fit(train)
    hysteresis = config.hysteresis()
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
