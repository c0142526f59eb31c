"""The retraining policy: when to retrain, on which data, and how a challenger replaces the
champion (better on held-out data and no worse on the twin, before promotion)."""

from __future__ import annotations

from dataclasses import dataclass

from jayul.govern.drift import DriftReport
from jayul.govern.scorecard import ORDER
from jayul.records.events import RiskClass
from jayul.records.timebase import NS_PER_H

NS_PER_DAY = 24 * NS_PER_H


@dataclass(frozen=True)
class RetrainDecision:
    due: bool
    reason: str


@dataclass(frozen=True)
class RetrainingPolicy:
    """Retrain on drift (at `drift_level` or worse), on decay (the live metric fell by more
    than `decay_tolerance`, relative), or on schedule (`max_age_days`); train on the last
    `window_days` of data; promote a challenger only if it beats the champion on held-out
    data by `min_improvement` and is no worse on the twin than `twin_tolerance` (relative)."""

    drift_level: RiskClass = RiskClass.HIGH
    decay_tolerance: float = 0.10
    max_age_days: float = 30.0
    window_days: float = 14.0
    min_improvement: float = 0.0
    twin_tolerance: float = 0.0
    higher_is_better: bool = True

    def due(
        self,
        now: int,
        trained_at: int,
        drift: DriftReport | None = None,
        metric_now: float | None = None,
        metric_at_deploy: float | None = None,
    ) -> RetrainDecision:
        if drift is not None and ORDER.index(drift.level) >= ORDER.index(self.drift_level):
            return RetrainDecision(True, f"drift: {drift.rating().evidence}")
        if metric_now is not None and metric_at_deploy is not None and metric_at_deploy != 0:
            change = (metric_now - metric_at_deploy) / abs(metric_at_deploy)
            loss = -change if self.higher_is_better else change
            if loss > self.decay_tolerance:
                return RetrainDecision(
                    True,
                    f"decay: metric {metric_at_deploy:.3g} -> {metric_now:.3g} ({loss:.0%} worse)",
                )
        age_days = (now - trained_at) / NS_PER_DAY
        if age_days >= self.max_age_days:
            return RetrainDecision(True, f"schedule: trained {age_days:.1f} days ago")
        return RetrainDecision(False, "no drift, no decay, not yet due")

    def training_window(self, now: int) -> tuple[int, int]:
        """The data to retrain on: [now - window, now)."""
        return now - int(self.window_days * NS_PER_DAY), now

    def challenger_wins(
        self,
        champion_holdout: float,
        challenger_holdout: float,
        champion_twin_cost: float,
        challenger_twin_cost: float,
    ) -> RetrainDecision:
        """Held-out metric (by `higher_is_better`) and twin cost (lower is better) must both
        allow it."""
        sign = 1.0 if self.higher_is_better else -1.0
        gain = sign * (challenger_holdout - champion_holdout)
        if gain <= self.min_improvement:
            return RetrainDecision(
                False,
                f"held-out: challenger {challenger_holdout:.4g} does "
                f"not beat champion {champion_holdout:.4g}",
            )
        limit = champion_twin_cost * (1.0 + self.twin_tolerance)
        if challenger_twin_cost > limit:
            return RetrainDecision(
                False,
                f"twin: challenger cost {challenger_twin_cost:.4g} "
                f"above champion {champion_twin_cost:.4g}",
            )
        return RetrainDecision(
            True,
            f"challenger better on held-out ({challenger_holdout:.4g} "
            f"vs {champion_holdout:.4g}) and on the twin "
            f"({challenger_twin_cost:.4g} vs {champion_twin_cost:.4g})",
        )
