"""The policy benchmark, small: tuning, comparison and the report's shape."""

from __future__ import annotations

from jayul.bench.policies import run_benchmark
from jayul.plant import load_demo_plant


def test_small_policy_benchmark() -> None:
    figures = run_benchmark(
        load_demo_plant(),
        days=40,
        seeds=1,
        tune_seeds=1,
        signal_period_s=1800,
        preventive_grid=(300.0, 800.0),
        condition_grid=(1.0,),
        predictive=False,  # its RUL models are trained in tests/decide/test_predictive.py
    )
    policies = figures["policies"]
    assert set(policies) == {"reactive", "preventive", "condition"}
    for p in policies.values():
        for key in (
            "total_cost",
            "failures",
            "failures_prevented",
            "downtime_h",
            "oee",
            "on_time_rate",
        ):
            assert set(p[key]) == {"mean", "std"}
    assert policies["reactive"]["failures_prevented"]["mean"] == 0.0
    intervals = figures["tuned"]["preventive"]["intervals"]
    assert set(intervals.values()) <= {300.0, 800.0} and len(intervals) == 6
