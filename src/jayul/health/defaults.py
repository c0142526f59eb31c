"""The default alarm recipe: the one the validation rule chose, for callers such as autopilot.

`jayul bench skab` re-runs the rule (`jayul.health.drift_rule`) on the SKAB training parts
and the anomaly-free file; the name below is what it chose (docs/benchmarks/skab.md).
"""

from __future__ import annotations

from jayul.health.validation import AlarmConfig, candidate_configs

DEFAULT_ALARM = "zscore w=5 slow=ignore drift=100 quantile x1.25 raise=5/5 clear=5"


def default_alarm() -> AlarmConfig:
    """The validated default recipe (detector factory, threshold rule, hysteresis)."""
    for config in candidate_configs():
        if config.name == DEFAULT_ALARM:
            return config
    raise LookupError(f"default recipe {DEFAULT_ALARM!r} is not among the candidates")
