"""The policy benchmark, small: tuning, comparison and the report's shape."""

from __future__ import annotations

from typing import Any

from jayul.bench.policies.harness import choose_setting, run_benchmark
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
        (one,) = p["per_seed"]  # each seed's own figures, which the mean comes from
        assert one["seed"] == 0 and one["total_cost"] == p["total_cost"]["mean"]
    assert policies["reactive"]["failures_prevented"]["mean"] == 0.0
    intervals = figures["tuned"]["preventive"]["intervals"]
    assert set(intervals.values()) <= {300.0, 800.0} and len(intervals) == 6


def test_policy_benchmark_on_replayed_engines() -> None:
    from pathlib import Path

    import pytest

    from jayul.bench.policies.trajectory import cmapss_setup

    data = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "cmapss"
    if not (data / "train_FD001.txt").exists():
        pytest.skip(f"C-MAPSS data not found at {data}")
    setup = cmapss_setup(load_demo_plant(), data)
    figures = run_benchmark(
        setup.plant,
        days=120,  # replayed engines live about 1,600 hours at 8 h per cycle
        seeds=1,
        tune_seeds=1,
        signal_period_s=3600,
        preventive_grid=(300.0,),
        condition_grid=(1.0,),
        predictive=False,
        trajectories=setup,
    )
    assert figures["trajectories"]["replayed_engines"] > 0
    assert figures["policies"]["reactive"]["failures"]["mean"] > 0


def test_the_net_setting_is_the_cheapest_that_meets_the_bar() -> None:
    sweep: list[dict[str, Any]] = [
        {"safety_threshold": None, "total_cost": 100.0, "prevented": 0.90},
        {"safety_threshold": 3.0, "total_cost": 110.0, "prevented": 0.95},
        {"safety_threshold": 2.0, "total_cost": 120.0, "prevented": 0.97},
    ]
    assert choose_setting(sweep)["safety_threshold"] == 3.0
    assert choose_setting(sweep, target=0.96)["safety_threshold"] == 2.0
    # none meets it: the one preventing most
    assert choose_setting(sweep, target=0.99)["safety_threshold"] == 2.0


def test_a_cost_bound_picks_the_cheapest_setting_meeting_both_bars() -> None:
    sweep: list[dict[str, Any]] = [
        {"setting": {"a": 1}, "total_cost": 90.0, "prevented": 0.93},
        {"setting": {"a": 2}, "total_cost": 100.0, "prevented": 0.96},
        {"setting": {"a": 3}, "total_cost": 130.0, "prevented": 0.99},
    ]
    assert choose_setting(sweep, max_cost=110.0)["setting"] == {"a": 2}
    # none under the bound: the cheapest that prevents enough
    assert choose_setting(sweep, max_cost=95.0)["setting"] == {"a": 2}
    assert choose_setting(sweep, target=0.98, max_cost=95.0)["setting"] == {"a": 3}


def test_parallel_comparison_gives_the_same_figures() -> None:
    from jayul.bench.policies.harness import compare
    from jayul.decide.baselines import ConditionBased, Preventive, parse_intervals

    plant = load_demo_plant()
    intervals = parse_intervals({"pump/bearing_wear": 300.0, "press/die_wear": 300.0})
    policies = {
        "preventive": lambda: Preventive(intervals),  # a closure: reaches the workers by fork
        "condition": lambda: ConditionBased(1.0),
    }
    serial = compare(plant, policies, [0, 1], days=20, signal_period_s=1800)
    parallel = compare(plant, policies, [0, 1], days=20, signal_period_s=1800, jobs=2)
    assert parallel == serial
    assert serial["preventive"]["maintenances"]["mean"] > 0
