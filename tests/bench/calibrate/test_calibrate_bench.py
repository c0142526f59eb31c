"""The calibration benchmark in small: a truth plant the calibration never saw, and C-MAPSS."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jayul.bench.calibrate.harness import bench_calibrate, blank
from jayul.cli.main import app
from jayul.plant import parse_plant

SMALL = (Path(__file__).parents[2] / "calibrate" / "small_plant.yaml").read_text()
CMAPSS = Path(__file__).parents[4] / "shared" / "data" / "cmapss"


def test_blank_plant_keeps_structure_not_numbers() -> None:
    truth = parse_plant(SMALL)
    b = blank(truth)
    assert b.machine_ids == truth.machine_ids
    fm = b.machine_types["saw"].failure_modes[0]
    assert fm.wear_per_h != truth.machine_types["saw"].failure_modes[0].wear_per_h
    assert fm.effects == {}


def test_small_truth_recovered() -> None:
    figures = bench_calibrate(parse_plant(SMALL), days=20, seed=2, kpi_seeds=2)
    rec = figures["recovery"]
    assert rec["mttf"]["median_rel_error"] < 0.25
    assert rec["processing_h"]["median_rel_error"] < 0.01
    assert "saw/motor.wear_per_h" in figures["priors"]
    assert set(figures["kpis"]) == {"failures", "downtime_h", "oee"}
    # the back-test says how noisy its own comparison is (paired over the fresh seeds)
    assert all(v["rel_error_se"] is not None for v in figures["kpis"].values())


@pytest.mark.skipif(not (CMAPSS / "train_FD001.txt").exists(), reason="no C-MAPSS data")
def test_cmapss_lives_compared_with_weibull_peer(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    res = CliRunner().invoke(
        app, ["bench", "calibrate-cmapss", "--data", str(CMAPSS), "--report", str(report)]
    )
    assert res.exit_code == 0, res.output
    assert "weibull_peer" in report.read_text()


def test_cmapss_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["bench", "calibrate-cmapss", "--data", str(tmp_path)])
    assert res.exit_code == 2 and "not found" in res.output
