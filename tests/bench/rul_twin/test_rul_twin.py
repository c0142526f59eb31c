"""A small run of `jayul bench rul-twin` (fast-wearing pump plant, short runs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from jayul.bench.rul_twin.harness import quick_settings, run_benchmark, run_trajectory_benchmark
from jayul.cli.main import app
from jayul.health.rul.fleet import FleetRulSettings
from jayul.plant.load import load_demo_plant
from jayul.plant.model import Plant


def fast_pumps() -> Plant:
    data = load_demo_plant().model_dump()
    pump = data["machine_types"]["pump"]
    for mode in pump["failure_modes"]:
        mode["wear_per_h"] *= 4
        mode["shape_per_h"] *= 4
    data["machine_types"] = {"pump": pump}
    data["lines"] = ["line1"]
    data["machines"] = [{"id": f"pump{i}", "type": "pump", "line": "line1"} for i in range(4)]
    data["orders"]["arrivals_per_h"] = 1.9
    data["orders"]["products"] = [{"id": "part", "routing": ["wash"], "work": 1.0, "share": 1}]
    return Plant.model_validate(data)


def small(settings: FleetRulSettings) -> FleetRulSettings:
    return FleetRulSettings(
        seeds=settings.seeds,
        days=settings.days,
        signal_period_s=1800,
        cap=150,
        windows=(6, 24, 72),
        baseline_rows=24,
        min_history=24,
        n_estimators=40,
    )


def test_benchmark_trains_judges_and_times(tmp_path: Path) -> None:
    settings = small(quick_settings(60, [5]))
    figures = run_benchmark(fast_pumps(), settings, [6], tmp_path, overhead_days=2)
    assert not figures["from_cache"]
    for pair in ("pump/bearing_wear", "pump/impeller_wear"):
        held = figures["held_out"][pair]
        assert held["histories"] >= 4
        assert 0.3 <= held["coverage_80_all_rows"] <= 1.0
        assert held["rmse_p50_within_cap_h"] < 150  # better than knowing nothing
    assert figures["monitor"]["ms_per_tick_with_rul"] > 0
    again = run_benchmark(fast_pumps(), settings, [6], tmp_path, overhead_days=1)
    assert again["from_cache"]


def write_cmapss(folder: Path, n_engines: int = 8) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for unit in range(1, n_engines + 1):
        cycles = int(rng.integers(30, 50))
        for c in range(1, cycles + 1):
            wear = (c / cycles) ** 2
            sensors = 500 + wear * np.arange(1, 22) + rng.normal(0, 0.05, 21)
            rows.append([unit, c, 0.0, 0.0, 100.0, *sensors])
    np.savetxt(folder / "train_FD001.txt", np.array(rows), fmt="%.4f")


def test_trajectory_benchmark_on_a_tiny_cmapss_folder(tmp_path: Path) -> None:
    write_cmapss(tmp_path)
    settings = small(quick_settings(40, [5]))
    figures = run_trajectory_benchmark(
        fast_pumps(), tmp_path, settings, [6], tmp_path / "cache", cycle_h=4.0, policy_days=10
    )
    assert not set(figures["engines_train"]) & set(figures["engines_replayed"])
    compared = figures["policies_on_replayed_engines"]
    assert {"reactive", "condition", "rul"} <= set(compared)
    assert compared["rul_p"] in (0.1, 0.25, 0.5)
    assert compared["reactive"]["maintenances"] == 0
    assert figures["held_out"]["pump/bearing_wear"]["histories"] >= 4


def test_cli_reports_a_missing_data_folder_cleanly(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "bench", "rul-twin", "--plant", str(tmp_path / "nope.yaml"),
            "--report", str(tmp_path / "r.json"),
        ],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "nope.yaml" in result.output
    assert not (tmp_path / "r.json").exists()


def test_rul_threshold_maintains_the_riskiest_mode_only_past_p() -> None:
    from jayul.bench.rul_twin.rul_policy import RulThreshold
    from jayul.decide.policy import MachineView, Observation, RulView

    levels = (0.1, 0.5, 0.9)
    soon = RulView(levels, (10.0, 30.0, 60.0))  # P(fail within 48 h) about 0.7
    later = RulView(levels, (300.0, 500.0, 800.0))
    view = MachineView(
        "pump0", "pump", "idle", {}, (), rul={"bearing_wear": later, "impeller_wear": soon}
    )
    obs = Observation(0, 0.0, {"pump0": view})
    plant = fast_pumps()
    (action,) = RulThreshold(0.5).decide(plant, obs)
    assert action.params == {"action": "overhaul"}  # the cheapest action restoring the impeller
    assert RulThreshold(0.9).decide(plant, obs) == []
