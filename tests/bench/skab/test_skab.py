"""A small run of the SKAB benchmark (real files when present, else a made-up folder)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from jayul.bench.skab.changepoint_rule import changepoint_candidates
from jayul.bench.skab.data import SkabDataError, read_skab_csv, skab_paths
from jayul.bench.skab.detectors.zscore import ZScoreDetector
from jayul.bench.skab.harness import run_skab, select_config
from jayul.bench.skab.validation import AlarmConfig, candidate_configs
from jayul.cli.main import app

SKAB = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "skab"
COLUMNS = [
    "Accelerometer1RMS",
    "Accelerometer2RMS",
    "Current",
    "Pressure",
    "Temperature",
    "Thermocouple",
    "Voltage",
    "Volume Flow RateRMS",
]
CONFIG = AlarmConfig("zscore w=5 test", lambda: ZScoreDetector(window=5, slow_mode="ignore"))


def fake_file(path: Path, seed: int, rows: int = 700) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(rows, 8))
    values[:, 4] = 70 + np.cumsum(rng.normal(scale=0.02, size=rows))
    anomaly = np.zeros(rows, dtype=int)
    anomaly[500:650] = 1
    values[500:650, 7] -= 3.0
    changepoint = np.zeros(rows, dtype=int)
    changepoint[[500, 650]] = 1
    frame = pd.DataFrame(values, columns=COLUMNS)
    frame.insert(0, "datetime", pd.date_range("2020-03-09", periods=rows, freq="s").astype(str))
    frame["anomaly"] = anomaly
    frame["changepoint"] = changepoint
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep=";", index=False)


@pytest.fixture()
def small_skab(tmp_path: Path) -> Path:
    """Two real SKAB files if the shared data is there, else two made-up ones."""
    root = tmp_path / "skab"
    if SKAB.is_dir():
        for name in ("valve1/0.csv", "valve2/1.csv"):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(SKAB / name, root / name)
    else:
        fake_file(root / "valve1" / "0.csv", 0)
        fake_file(root / "valve2" / "1.csv", 1)
    fake_file(root / "anomaly-free" / "anomaly-free.csv", 9, rows=900)  # must be skipped
    return root


def test_run_writes_one_prediction_row_per_test_row(small_skab: Path, tmp_path: Path) -> None:
    out = tmp_path / "pred"
    figures = run_skab(small_skab, out, CONFIG, with_peers=True, throughput_rows=20_000)
    assert figures["files"] == 2
    for folder, path in skab_paths(small_skab):
        f = read_skab_csv(path, folder)
        pred = pd.read_csv(out / folder / path.name)
        assert list(pred.columns) == ["datetime", "anomaly", "changepoint"]
        assert len(pred) == len(f.test)
        assert set(pred["anomaly"]) <= {0, 1}
    assert not (out / "anomaly-free").exists()
    jayul = figures["results"]["jayul"]
    assert jayul["f1"] > 0.5  # the flow drop is found
    assert set(jayul["nab"]) == {"standard", "low_fp", "low_fn"}
    assert {"river_hst (same rule)", "pyod_iforest (same rule)"} <= set(figures["results"])
    assert figures["throughput_rows_per_second_8_signals"] > 0


def test_predictions_do_not_depend_on_labels(small_skab: Path, tmp_path: Path) -> None:
    run_skab(small_skab, tmp_path / "a", CONFIG, with_peers=False, throughput_rows=1000)
    for path in (small_skab / "valve1").glob("*.csv"):
        frame = pd.read_csv(path, sep=";")
        frame["anomaly"] = 1 - frame["anomaly"]
        frame.to_csv(path, sep=";", index=False)
    run_skab(small_skab, tmp_path / "b", CONFIG, with_peers=False, throughput_rows=1000)
    a = pd.read_csv(tmp_path / "a" / "valve1" / "0.csv")
    b = pd.read_csv(tmp_path / "b" / "valve1" / "0.csv")
    pd.testing.assert_frame_equal(a, b)


def test_validation_picks_among_candidates_without_test_labels(small_skab: Path) -> None:
    files = [read_skab_csv(p, f) for f, p in skab_paths(small_skab)]
    few = [c for c in candidate_configs() if c.name.startswith("zscore w=5 slow=ignore")][:3]
    cps = changepoint_candidates()[:2]
    best, changepoints, table = select_config(files, None, few, cps, jobs=2)
    assert best.name in {c.name for c in few}
    assert changepoints is None or changepoints in cps
    assert len(table["alarm"]) == 3 and len(table["changepoints"]) == 3


def test_cli_reports_and_rejects_bad_input(small_skab: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    report = tmp_path / "r.json"
    name = "zscore w=5 slow=ignore pot x1.0 raise=5/5 clear=5"
    result = runner.invoke(
        app,
        [
            "bench",
            "skab",
            "--data",
            str(small_skab),
            "--out",
            str(tmp_path / "p"),
            "--report",
            str(report),
            "--detector",
            name,
            "--no-peers",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(report.read_text())["default"] == name
    (small_skab / "valve1" / "bad.csv").write_text("datetime;x\n2020-01-01;oops\n")
    bad = runner.invoke(
        app,
        [
            "bench",
            "skab",
            "--data",
            str(small_skab),
            "--out",
            str(tmp_path / "q"),
            "--detector",
            name,
        ],
    )
    assert bad.exit_code == 2
    assert "bad.csv" in bad.output
    missing = runner.invoke(
        app,
        [
            "bench",
            "skab",
            "--data",
            str(tmp_path / "nope"),
            "--out",
            str(tmp_path / "q"),
            "--detector",
            name,
        ],
    )
    assert missing.exit_code == 2


def test_malformed_file_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a;b\n1;2\n")
    with pytest.raises(SkabDataError, match=r"x\.csv"):
        read_skab_csv(path, "v")


def test_cli_lists_candidates_without_data_and_asks_for_it_otherwise(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["bench", "skab", "--list"])
    assert listed.exit_code == 0, listed.output
    assert "zscore w=5 slow=ignore pot x1.0 raise=5/5 clear=5" in listed.output
    no_data = runner.invoke(app, ["bench", "skab", "--out", str(tmp_path / "p")])
    assert no_data.exit_code == 2 and "--data" in no_data.output
    no_out = runner.invoke(app, ["bench", "skab", "--data", str(tmp_path)])
    assert no_out.exit_code == 2 and "--out" in no_out.output
