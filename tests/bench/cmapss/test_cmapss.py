import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from jayul.bench.cmapss.data import (
    CmapssDataError,
    ConditionNormaliser,
    check_subset,
    load_cmapss,
    read_runs,
)
from jayul.bench.cmapss.harness import DEFAULT_MODEL, run_cmapss
from jayul.bench.cmapss.sequence import torch_available
from jayul.cli.main import app

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "cmapss"
needs_data = pytest.mark.skipif(
    not (DATA / "train_FD001.txt").is_file(), reason="C-MAPSS data not present"
)


@needs_data
def test_loader_matches_the_known_shape_of_fd001() -> None:
    split = load_cmapss(DATA, "FD001", "FD001")
    assert split.train.shape == (20_631, 26)
    assert split.train["unit"].nunique() == 100
    assert split.test["unit"].nunique() == 100
    assert split.test_rul.shape == (100,)
    assert split.test_rul[:3].tolist() == [112.0, 98.0, 69.0]
    lives = split.train.groupby("unit")["cycle"].max()
    assert lives.min() == 128 and lives.max() == 362


@needs_data
def test_condition_normaliser_zero_mean_unit_spread_on_fd001() -> None:
    split = load_cmapss(DATA)
    normalised = ConditionNormaliser().fit(split.train).transform(split.train)
    assert normalised["s2"].mean() == pytest.approx(0.0, abs=1e-9)
    assert normalised["s2"].std(ddof=0) == pytest.approx(1.0)
    assert (normalised["s1"] == 0).all()  # constant in FD001


@needs_data
def test_small_benchmark_run_on_fd001() -> None:
    small = {
        "n_estimators": 40,
        "learning_rate": 0.15,
        "n_folds": 3,
        "members": (
            ("lightgbm", {"num_leaves": 15, "min_child_samples": 50}),
            ("extra_trees", {"n_estimators": 20, "min_samples_leaf": 10, "max_features": 0.3}),
        ),
        "row_stride": 3,
    }
    table, report = run_cmapss(DATA, seeds=1, model_params=small, max_train_units=30)
    assert list(table.columns) == ["unit", "rul_p10", "rul_p50", "rul_p90"]
    assert len(table) == 100 and table["unit"].tolist() == list(range(1, 101))
    assert (table["rul_p10"] <= table["rul_p50"]).all()
    assert (table["rul_p50"] <= table["rul_p90"]).all()
    summary = report["summary"]
    assert summary["rmse"]["mean"] < 25  # 30 engines, 40 trees: rough but far from guessing
    assert 0.5 <= summary["coverage_80"]["mean"] <= 1.0
    assert report["n_train_units"] == 30
    seed = report["per_seed"][0]
    assert len(seed["blend_weights"]) == 2 and sum(seed["blend_weights"]) == pytest.approx(1.0)
    assert seed["train_cpu_seconds"] > 0 and seed["load_1min_after_training"] >= 0
    assert seed["cv_rmse_capped"] > 0
    assert report["model_name"] == DEFAULT_MODEL == "blended-20fold-nobase-trend"


def _write_fake_subset(folder: Path, n_train: int = 6, n_test: int = 4) -> None:
    """A tiny C-MAPSS-shaped subset: sensor 2 drifts up as each engine nears failure."""
    rng = np.random.default_rng(0)

    def engines(n: int, cut: bool) -> tuple[pd.DataFrame, list[int]]:
        rows, ruls = [], []
        for unit in range(1, n + 1):
            life = int(rng.integers(60, 90))
            seen = int(rng.integers(30, life)) if cut else life
            ruls.append(life - seen)
            for cycle in range(1, seen + 1):
                sensors = rng.normal(0, 0.1, 21) + 10
                sensors[1] += max(0, cycle - (life - 40)) / 10
                rows.append([unit, cycle, 0.0, 0.0, 100.0, *sensors])
        return pd.DataFrame(rows), ruls

    train, _ = engines(n_train, cut=False)
    test, ruls = engines(n_test, cut=True)
    train.to_csv(folder / "train_FD001.txt", sep=" ", header=False, index=False)
    test.to_csv(folder / "test_FD001.txt", sep=" ", header=False, index=False)
    (folder / "RUL_FD001.txt").write_text("\n".join(map(str, ruls)) + "\n")


def test_cli_writes_predictions_and_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jayul.bench.cmapss.harness as bench

    _write_fake_subset(tmp_path)
    small = {"n_estimators": 10, "n_folds": 2, "windows": (5, 20), "min_history": 10}
    original = bench.run_seed
    monkeypatch.setattr(
        bench,
        "run_seed",
        lambda split, seed, params, units, name, jobs: original(
            split, seed, small, units, name, jobs
        ),
    )
    out, report = tmp_path / "pred.csv", tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        ["bench", "cmapss", "--data", str(tmp_path), "--out", str(out), "--seeds", "2",
         "--report", str(report)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns) == ["unit", "rul_p10", "rul_p50", "rul_p90"]
    assert len(table) == 4
    figures = pd.read_json(report, typ="series")
    assert figures["seeds"] == 2 and len(figures["per_seed"]) == 2
    assert figures["model"] == "BlendedWindowRul"
    assert figures["model_name"] == DEFAULT_MODEL  # the CLI's default is the bench's
    assert len(figures["per_seed"][0]["blend_weights"]) == 4  # with the no-baseline member
    assert figures["fold_jobs"] == (os.cpu_count() or 1)  # --jobs 0: one process per core
    boosted = CliRunner().invoke(
        app,
        ["bench", "cmapss", "--data", str(tmp_path), "--out", str(out), "--seeds", "1",
         "--report", str(report), "--model", "boosted", "--jobs", "1"],
    )  # fmt: skip
    assert boosted.exit_code == 0, boosted.output
    assert pd.read_json(report, typ="series")["model"] == "BoostedWindowRul"
    assert pd.read_json(report, typ="series")["fold_jobs"] == 1
    capped = CliRunner().invoke(
        app,
        ["bench", "cmapss", "--data", str(tmp_path), "--out", str(out), "--seeds", "1",
         "--report", str(report), "--model", "blended-testlike"],
    )  # fmt: skip
    assert capped.exit_code == 0, capped.output
    testlike = pd.read_json(report, typ="series")
    assert testlike["model_name"] == "blended-testlike"
    # chosen on training engines cut at the test lengths, scored against the uncapped life
    seed = testlike["per_seed"][0]
    assert seed["cv_rmse_test_like"] > 0 and seed["cv_rmse_capped"] > 0
    unknown = CliRunner().invoke(
        app, ["bench", "cmapss", "--data", str(tmp_path), "--out", str(out), "--model", "svm"]
    )
    assert unknown.exit_code == 2 and "unknown --model 'svm'" in unknown.output


def test_cli_names_a_missing_file_without_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["bench", "cmapss", "--data", str(tmp_path), "--out", str(tmp_path / "p.csv")]
    )
    assert result.exit_code == 2
    assert "train_FD001.txt" in result.output and "not found" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_malformed_files_get_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "train_FD001.txt"
    bad.write_text("1 1 0.0 0.0\n")
    with pytest.raises(CmapssDataError, match="expected 26 columns"):
        read_runs(bad)
    bad.write_text("")
    with pytest.raises(CmapssDataError, match=r"train_FD001\.txt"):
        read_runs(bad)
    _write_fake_subset(tmp_path)
    (tmp_path / "RUL_FD001.txt").write_text("5\n")
    with pytest.raises(CmapssDataError, match="1 RUL values for 4 test units"):
        load_cmapss(tmp_path)
    with pytest.raises(CmapssDataError, match="unknown C-MAPSS subset"):
        check_subset("FD009")
    assert check_subset("fd002") == "FD002" and check_subset("3") == "FD003"


@pytest.mark.skipif(not torch_available(), reason="torch (optional extra) absent")
def test_the_cnn_blend_runs_on_a_tiny_subset(tmp_path: Path) -> None:
    _write_fake_subset(tmp_path)
    conv = ("conv", {"window": 15, "width": 4, "kernel": 3, "epochs": 2})
    small = {
        "n_estimators": 10,
        "n_folds": 2,
        "windows": (5, 20),
        "min_history": 10,
        "members": (("lightgbm", {"num_leaves": 7, "min_child_samples": 20}), conv),
    }
    table, report = run_cmapss(
        tmp_path, seeds=1, model_params=small, model_name="blended-10fold-nobase-conv"
    )
    assert len(table) == 4 and report["model_name"] == "blended-10fold-nobase-conv"
    assert report["per_seed"][0]["members"] == ["lightgbm", "conv"]


def test_every_model_name_has_settings() -> None:
    from jayul.bench.cmapss.harness import BLENDED_SETTINGS, MODELS

    assert set(MODELS) == {*BLENDED_SETTINGS, "blended-testlike", "boosted"}
