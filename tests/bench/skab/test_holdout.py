"""The hold-out report: fixed recipes on every group, the rule leaving one folder out, TEP."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from jayul.bench.skab.data import SkabDataError
from jayul.bench.skab.detectors.zscore import ZScoreDetector
from jayul.bench.skab.holdout import alarm_stream, run_holdout, tep_groups
from jayul.bench.skab.validation import AlarmConfig
from jayul.cli.main import app

COLUMNS = [f"s{i}" for i in range(4)]
QUIET = AlarmConfig("zscore test", lambda: ZScoreDetector(window=5), margin=1.5)
ALWAYS = AlarmConfig("always", lambda: ZScoreDetector(window=5), quantile=0.0, margin=0.0)


def _file(path: Path, seed: int, rows: int = 700, fault: bool = True) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(rows, len(COLUMNS)))
    anomaly = np.zeros(rows, dtype=int)
    if fault:
        anomaly[500:650] = 1
        values[500:650, 1] += 6.0
    frame = pd.DataFrame(values, columns=COLUMNS)
    frame.insert(0, "datetime", pd.date_range("2020-03-09", periods=rows, freq="s").astype(str))
    frame["anomaly"] = anomaly
    frame["changepoint"] = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep=";", index=False)


def _tep(root: Path, signals: int = 5) -> Path:
    rng = np.random.default_rng(7)
    root.mkdir(parents=True)
    np.savetxt(root / "d00.dat", rng.normal(size=(500, signals)).T)  # stored transposed
    np.savetxt(root / "d00_te.dat", rng.normal(size=(960, signals)))
    for j in (1, 3):
        rows = rng.normal(size=(960, signals))
        rows[160:, 0] += 8.0
        np.savetxt(root / f"d{j:02d}_te.dat", rows)
    return root


@pytest.fixture()
def folders(tmp_path: Path) -> Path:
    root = tmp_path / "skab"
    _file(root / "a" / "0.csv", 0)
    _file(root / "a" / "1.csv", 1)
    _file(root / "b" / "0.csv", 2)
    _file(root / "anomaly-free" / "anomaly-free.csv", 3, rows=1200, fault=False)
    return root


def test_fixed_recipes_are_scored_on_every_group(folders: Path, tmp_path: Path) -> None:
    tep = _tep(tmp_path / "tep")
    figures = run_holdout(folders, {"quiet": QUIET, "always": ALWAYS}, tep, with_rule=False)
    names = ["a", "b", "anomaly-free", "TEP d00_te (normal run)"]
    names.append("TEP d01-d21_te rows 1-160 (normal)")
    assert list(figures["groups"]) == names
    always = figures["fixed"]["always"]
    assert all(g["far_percent"] == 100.0 for g in always["groups"].values())
    assert always["groups"]["a"]["rows"] == 2 * (300 - 150)  # normal test rows of a's files
    assert always["groups"]["anomaly-free"]["rows"] == 800
    assert "f1" in always["groups"]["a"] and "f1" not in always["groups"]["anomaly-free"]
    quiet = figures["fixed"]["quiet"]
    assert quiet["groups"]["a"]["f1"] > 0.8  # a 6 sd step on white noise is found
    spread = quiet["far_across_groups"]
    fars = [g["far_percent"] for g in quiet["groups"].values()]
    assert spread["spread"] == pytest.approx(max(fars) - min(fars))
    # the fault of d01 is found, and every row of it counts (rows 161-960)
    assert quiet["tep_detection"]["fdr_percent_by_fault"][1] > 90.0
    assert quiet["tep_detection"]["fdr_percent_mean_18"] == pytest.approx(
        quiet["tep_detection"]["fdr_percent_by_fault"][1]
    )  # fault 3 is one of the three left out of the mean


def test_the_rule_never_sees_the_group_it_is_scored_on(folders: Path) -> None:
    figures = run_holdout(folders, {}, with_rule=True, candidates=[QUIET, ALWAYS])
    left_out = figures["rule"]["left_out"]
    assert set(left_out) == {"a", "b", "anomaly-free"}
    assert left_out["a"]["chosen_on"] == ["b", "anomaly-free"]
    assert left_out["anomaly-free"]["chosen_on"] == ["a", "b"]
    assert "f1" in left_out["b"] and "f1" not in left_out["anomaly-free"]
    assert all(g["chosen"] == "zscore test" for g in left_out.values())  # within the budget


def test_a_tep_stream_continues_its_training_rows(tmp_path: Path) -> None:
    groups, faults = tep_groups(_tep(tmp_path / "tep"))
    stream = groups[0].streams[0]
    assert stream.train.shape == (500, 5) and stream.rows.shape == (960, 5)
    assert sorted(faults) == [1, 3]
    assert len(alarm_stream(QUIET, stream)) == 960


def test_a_bad_tep_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(SkabDataError, match=r"d00\.dat"):
        tep_groups(tmp_path)


def test_the_command_writes_the_report(folders: Path, tmp_path: Path) -> None:
    report = tmp_path / "holdout.json"
    args = ["bench", "skab", "--data", str(folders), "--holdout", "--no-holdout-rule"]
    result = CliRunner().invoke(app, [*args, "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "product default" in result.output and "FAR across groups" in result.output
    figures = json.loads(report.read_text())
    assert set(figures["fixed"]) == {"product default", "SKAB default"}
    bad = CliRunner().invoke(
        app, ["bench", "skab", "--data", str(folders), "--holdout", "--tep", str(tmp_path)]
    )
    assert bad.exit_code == 2 and "d00.dat" in bad.output


def test_the_product_rule_command_scores_the_pool_and_the_twin(
    folders: Path, tmp_path: Path
) -> None:
    report = tmp_path / "product.json"
    args = ["bench", "skab", "--data", str(folders), "--holdout", "--product-rule"]
    result = CliRunner().invoke(app, [*args, "--twin-days", "1", "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "held-out FAR across groups" in result.output
    figures = json.loads(report.read_text())
    assert len(figures["pool"]) == 24
    twin = next(iter(figures["pool"].values()))["twin"]
    assert twin["failures"] == 0 and twin["healthy_alerts"] <= twin["alerts"]
    # one day of the twin is inside commissioning: nothing is caught, so the gate (as many
    # failures caught as the replaced default) passes every candidate and the rule chooses
    assert set(figures["rule"]["left_out"]) == {"a", "b", "anomaly-free"}
    assert figures["rule"]["default"] in figures["pool"]
