"""`jayul quality train|score` on small tables made here: each kind trains, registers and
scores new rows; bad input is named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from jayul.cli.main import app
from jayul.govern.db import connect
from jayul.govern.registry import Registry

runner = CliRunner()
rng = np.random.default_rng(0)


def _train(kind: str, data: Path, targets: list[str], tmp: Path, *extra: str) -> Path:
    model = tmp / f"{kind}.joblib"
    args = ["quality", "train", kind, "--data", str(data), "--out", str(model),
            "--db", str(tmp / "plant.duckdb"), *extra]  # fmt: skip
    for t in targets:
        args += ["--target", t]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return model


def _score(model: Path, data: Path, tmp: Path) -> pd.DataFrame:
    out = tmp / "scored.csv"
    args = ["quality", "score", "--model", str(model), "--data", str(data), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return pd.read_csv(out)


def test_defects_train_register_and_score_with_reasons(tmp_path: Path) -> None:
    centres = {"scratch": [3, 0, 0], "bump": [0, 3, 0], "stain": [0, 0, 3]}
    rows = [
        (*(np.array(c) + rng.normal(0, 1, 3)), k) for k, c in centres.items() for _ in range(60)
    ]
    table = pd.DataFrame(rows, columns=["width", "height", "grey", "defect"])
    table.to_csv(tmp_path / "parts.csv", index=False)
    model = _train("defects", tmp_path / "parts.csv", ["defect"], tmp_path)
    new = pd.DataFrame([[3.0, 0.0, 0.0], [0.0, 0.0, 3.0]], columns=["width", "height", "grey"])
    new.to_csv(tmp_path / "new.csv", index=False)
    scored = _score(model, tmp_path / "new.csv", tmp_path)
    assert list(scored["defect"]) == ["scratch", "stain"]
    assert scored["why"][0].startswith("scratch") and "width" in scored["why"][0]
    con = connect(tmp_path / "plant.duckdb")
    rec = Registry(con).get("quality-defects")
    assert rec.metrics["holdout_accuracy"] > 0.8


def test_faults_named_from_their_signature(tmp_path: Path) -> None:
    def run(label: int, shift: tuple[float, float]) -> pd.DataFrame:
        x = rng.normal(0, 1, (150, 2)) + np.array(shift)
        return pd.DataFrame({"p": x[:, 0], "t": x[:, 1], "fault": label})

    table = pd.concat([run(0, (0, 0)), run(1, (4, 0)), run(2, (0, -4))])
    table.to_csv(tmp_path / "runs.csv", index=False)
    model = _train("faults", tmp_path / "runs.csv", ["fault"], tmp_path)
    run(2, (0, -4))[["p", "t"]].to_csv(tmp_path / "new.csv", index=False)
    scored = _score(model, tmp_path / "new.csv", tmp_path)
    assert (scored["fault"].iloc[30:] == 2).mean() > 0.9


def test_soft_sensor_predicts_the_analyser_with_intervals(tmp_path: Path) -> None:
    n = 600
    x = rng.normal(0, 1, (n, 2)).cumsum(axis=0) * 0.1
    truth = 2 * x[:, 0] - x[:, 1]
    # the analyser samples every 10 rows and reports 5 rows later, holding between reports
    reading = np.zeros(n)
    for r in range(5, n):
        reading[r] = truth[((r - 5) // 10) * 10] + rng.normal(0, 0.01)
        if (r - 5) % 10:
            reading[r] = reading[r - 1]
    table = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "purity": reading})
    table.to_csv(tmp_path / "process.csv", index=False)
    model = _train("soft-sensor", tmp_path / "process.csv", ["purity"], tmp_path, "--delay", "5")
    table[["a", "b"]].to_csv(tmp_path / "new.csv", index=False)
    scored = _score(model, tmp_path / "new.csv", tmp_path)
    assert list(scored.columns) == ["purity", "purity_low", "purity_high"]
    assert np.sqrt(np.mean((scored["purity"] - truth) ** 2)) < 0.2
    assert (scored["purity_low"] <= scored["purity_high"]).all()


def test_bad_input_is_named(tmp_path: Path) -> None:
    pd.DataFrame({"a": [1, 2], "label": ["x", "y"]}).to_csv(tmp_path / "t.csv", index=False)
    args = ["quality", "train", "defects", "--data", str(tmp_path / "t.csv"), "--target",
            "defect", "--out", str(tmp_path / "m"), "--db", str(tmp_path / "p.duckdb")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "target column(s) not found: defect" in result.output
    args[2] = "colours"
    assert "use one of" in runner.invoke(app, args).output
