"""`jayul federated train` and `jayul federated deploy` from the shell."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import joblib
import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from typer.testing import CliRunner

from jayul.cli.main import app
from jayul.fleet.federated.features import Site
from jayul.fleet.federated.model import FederatedSettings, train_central
from jayul.govern import Registry

FloatArray = npt.NDArray[np.float64]
runner = CliRunner()


def _write_runs(path: Path, histories: list[FloatArray]) -> Path:
    frames = []
    for unit, history in enumerate(histories, start=1):
        frame = pd.DataFrame(history, columns=[f"s{i}" for i in range(history.shape[1])])
        frame.insert(0, "cycle", np.arange(1, len(history) + 1))
        frame.insert(0, "unit", unit)
        frames.append(frame)
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_deploy_refused_when_the_site_back_test_fails(
    tmp_path: Path, small_sites: list[Site], small: FederatedSettings
) -> None:
    model = train_central(small_sites, small)
    width = small_sites[0].histories[0].shape[1]
    model_file = tmp_path / "rul.joblib"
    signals = [f"s{i}" for i in range(width)]
    joblib.dump({"model": model, "signals": signals, "sites": ["a", "b", "c"]}, model_file)
    recent = _write_runs(tmp_path / "recent.csv", list(small_sites[2].histories))
    db = tmp_path / "site.duckdb"
    duckdb.connect(str(db)).close()
    args = ["federated", "deploy", str(model_file), "--site-name", "site-2", "--recent"]
    args += [str(recent), "--by", "lee", "--approver", "kim", "--db", str(db)]
    refused = runner.invoke(app, [*args, "--reference-rmse", "1.0"])
    assert refused.exit_code == 1, refused.output
    assert "back-test at site-2 failed" in refused.output
    with duckdb.connect(str(db)) as con:
        assert Registry(con).champion("rul-federated") is None
    # a file that is not a model is refused with what is wrong, not a trace
    bad = tmp_path / "bad.joblib"
    bad.write_text("not a model")
    result = runner.invoke(
        app, ["federated", "deploy", str(bad), *args[3:], "--reference-rmse", "9"]
    )
    assert result.exit_code == 2 and "not a model file" in result.output


@pytest.mark.skipif(
    importlib.util.find_spec("flwr") is None, reason="the federated extra (flwr) is not installed"
)
def test_train_writes_a_model_from_the_sites_files(tmp_path: Path, small_sites: list[Site]) -> None:
    args = ["federated", "train", "--out", str(tmp_path / "rul.joblib"), "--rounds", "1"]
    args += ["--local-epochs", "1"]
    for site in small_sites[:2]:
        path = _write_runs(tmp_path / f"{site.name}.csv", list(site.histories))
        args += ["--site", f"{site.name}={path}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    bundle = joblib.load(tmp_path / "rul.joblib")
    assert bundle["sites"] == ["site-0", "site-1"]
    assert np.all(np.isfinite(bundle["model"].predict(list(small_sites[2].histories))))
    missing = runner.invoke(app, ["federated", "train", "--out", "x", "--site", "a=nowhere.csv"])
    assert missing.exit_code == 2 and "nowhere.csv: file not found" in missing.output
