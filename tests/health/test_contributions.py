"""Alert contributions come from the detector's own model."""

from __future__ import annotations

import numpy as np

from jayul.bench.skab.detectors.zscore import ZScoreDetector
from jayul.health.contributions import signal_contributions
from jayul.health.pca import PcaDetector
from jayul.records.events import Alert

SIGNALS = ["vibration", "current", "pressure", "flow"]


def test_the_shifted_signals_lead_with_their_direction() -> None:
    rng = np.random.default_rng(0)
    train = rng.normal(size=(400, 4))
    live = rng.normal(size=(200, 4))
    live[100:, 0] += 4.0  # vibration up
    live[100:, 3] -= 2.0  # flow down
    for detector in (ZScoreDetector(window=10), PcaDetector(window=10)):
        d = detector.fit(train)
        parts = signal_contributions(d, live, row=150, signals=SIGNALS)
        assert [p.signal for p in parts[:2]] == ["vibration", "flow"]
        assert parts[0].direction == 1 and parts[1].direction == -1
        assert parts[0].z is not None and parts[0].z > 3
        assert abs(sum(p.share for p in parts) - 1.0) < 1e-9
        alert = Alert(
            time=0, machine="pump", detector=repr(d), score=1.0, threshold=0.5, contributions=parts
        )
        assert alert.reason().startswith("vibration +")


def test_only_the_needed_history_gives_the_same_answer() -> None:
    rng = np.random.default_rng(1)
    d = ZScoreDetector(window=5).fit(rng.normal(size=(300, 4)))
    live = rng.normal(size=(500, 4))
    parts = signal_contributions(d, live, row=400, signals=SIGNALS, top=2)
    full = d.explain(live[:401])
    assert len(parts) == 2
    j = SIGNALS.index(parts[0].signal)
    assert abs(parts[0].share - full.shares[400, j]) < 1e-9
